package knp

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
)

// The adaptation replaces, in the controller, the one construction of the
// queue verdict (made twice: for the postrouting and the prerouting chain)
// with a call to xtablesQueue, a file the overlay adds to the package.
const (
	controllerFile = "pkg/networkpolicy/controller.go"
	addedFile      = "pkg/networkpolicy/zz_netpolcheck_xtqueue.go"

	queueConstruction = `	queue := &expr.Queue{Num: uint16(c.config.QueueID)}
	if c.config.FailOpen {
		queue.Flag = expr.QueueFlagBypass
	}
`
	queueReplacement = `	queue := xtablesQueue(uint16(c.config.QueueID), c.config.FailOpen)
`
	// queueConstructions is how often the release builds the verdict; any
	// other count means the source is not the one this adaptation was
	// written for, and the build stops rather than half-adapt it.
	queueConstructions = 2
)

// xtablesQueueSource is the added file. xt_NFQ_info_v3 is three native
// u16s (queue number, queue count, flags), padded to 8 bytes as xtables
// aligns target data; flag 1 is NFQ_FLAG_BYPASS, the xtables spelling of
// the queue expression's bypass flag.
const xtablesQueueSource = `// Added by netpolcheck (clusters/kind/knp) for kernels without
// CONFIG_NFT_QUEUE: the queue verdict as the xtables NFQUEUE target, which
// nftables runs through nft_compat.

package networkpolicy

import (
	"encoding/binary"

	"github.com/google/nftables/expr"
	"github.com/google/nftables/xt"
)

func xtablesQueue(num uint16, bypass bool) expr.Any {
	info := make(xt.Unknown, 8)
	binary.NativeEndian.PutUint16(info[0:], num)
	binary.NativeEndian.PutUint16(info[2:], 1)
	if bypass {
		binary.NativeEndian.PutUint16(info[4:], 1)
	}
	return &expr.Target{Name: "NFQUEUE", Rev: 3, Info: &info}
}
`

// Adapt rewrites the controller's source for the xtables queue.
func Adapt(controller []byte) ([]byte, error) {
	old, replacement := []byte(queueConstruction), []byte(queueReplacement)
	if n := bytes.Count(controller, old); n != queueConstructions {
		return nil, fmt.Errorf("%s builds the queue verdict %d times, the adaptation expects %d: it was written for %s %s", controllerFile, n, queueConstructions, Module, Version)
	}
	return bytes.ReplaceAll(controller, old, replacement), nil
}

// writeAdapted copies the release's source into dir/src with the adapted
// controller and the added file, and writes dir/go.mod: the wrapper's, with
// the release replaced by that copy (go build refuses overlays of files in
// the module cache, so the copy is what goes through -modfile). It returns
// the go.mod's path.
func writeAdapted(wrapper, moduleDir, dir string) (string, error) {
	src := filepath.Join(dir, "src")
	if err := os.CopyFS(src, os.DirFS(moduleDir)); err != nil {
		return "", err
	}
	original, err := os.ReadFile(filepath.Join(moduleDir, controllerFile))
	if err != nil {
		return "", err
	}
	adapted, err := Adapt(original)
	if err != nil {
		return "", err
	}
	for name, content := range map[string][]byte{controllerFile: adapted, addedFile: []byte(xtablesQueueSource)} {
		path := filepath.Join(src, name)
		os.Remove(path) // the copy keeps the cache's read-only modes
		if err := os.WriteFile(path, content, 0o644); err != nil {
			return "", err
		}
	}
	gomod, err := os.ReadFile(filepath.Join(wrapper, "go.mod"))
	if err != nil {
		return "", err
	}
	gosum, err := os.ReadFile(filepath.Join(wrapper, "go.sum"))
	if err != nil {
		return "", err
	}
	gomod = fmt.Appendf(gomod, "\nreplace %s => %s\n", Module, src)
	modfile := filepath.Join(dir, "go.mod")
	if err := os.WriteFile(modfile, gomod, 0o644); err != nil {
		return "", err
	}
	return modfile, os.WriteFile(filepath.Join(dir, "go.sum"), gosum, 0o644)
}
