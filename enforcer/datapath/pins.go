package datapath

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// DefaultPinRoot is where instances pin their maps and links: one directory
// per instance below it.
const DefaultPinRoot = "/sys/fs/bpf/netpolcheck"

// instanceName keeps instance names to one path element.
var instanceName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$`)

// pins names the files of one instance.
type pins struct {
	dir string
}

func (p pins) maps() string  { return filepath.Join(p.dir, "maps") }
func (p pins) links() string { return filepath.Join(p.dir, "links") }

// link is the pin of the link attaching one program to one hook of a device.
func (p pins) link(ifindex int, h hook) string {
	return filepath.Join(p.links(), strconv.Itoa(ifindex)+"_"+h.name)
}

// parseLinkPin reads back what link wrote: the device and the hook.
func parseLinkPin(name string) (int, hook, bool) {
	index, hookName, ok := strings.Cut(name, "_")
	if !ok {
		return 0, hook{}, false
	}
	ifindex, err := strconv.Atoi(index)
	if err != nil || ifindex <= 0 {
		return 0, hook{}, false
	}
	for _, h := range hooks {
		if h.name == hookName {
			return ifindex, h, true
		}
	}
	return 0, hook{}, false
}

func newPins(root, instance string) (pins, error) {
	if !instanceName.MatchString(instance) {
		return pins{}, fmt.Errorf("instance name %q: want letters, digits, '.', '_' or '-', at most 128", instance)
	}
	p := pins{dir: filepath.Join(root, instance)}
	for _, dir := range []string{p.maps(), p.links()} {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return pins{}, fmt.Errorf("create pin directory: %w", err)
		}
	}
	var fs unix.Statfs_t
	if err := unix.Statfs(p.dir, &fs); err != nil {
		return pins{}, fmt.Errorf("stat pin directory: %w", err)
	}
	if fs.Type != unix.BPF_FS_MAGIC {
		return pins{}, fmt.Errorf("%s is not on a BPF filesystem (mount -t bpf bpf %s)", p.dir, filepath.Dir(root))
	}
	return p, nil
}

// remove deletes the instance's directories, innermost first. Pins left in
// them (a failed unpin) make this fail, which is reported rather than forced.
func (p pins) remove() error {
	var errs []error
	for _, dir := range []string{p.links(), p.maps(), p.dir} {
		if err := os.Remove(dir); err != nil && !errors.Is(err, os.ErrNotExist) {
			errs = append(errs, err)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("remove pin directories: %w", err)
	}
	return nil
}
