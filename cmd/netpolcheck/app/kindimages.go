package app

import (
	"bufio"
	"context"
	"debug/elf"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"

	"github.com/netpolcheck/netpolcheck/clusters/kind"
	"github.com/netpolcheck/netpolcheck/clusters/kind/images"
	"github.com/netpolcheck/netpolcheck/clusters/kube"
)

// modulePath is this project's Go module, how a source tree is recognised.
const modulePath = "github.com/netpolcheck/netpolcheck"

// The project images the kind commands can load, by the names --images takes.
const (
	probeImageName    = "probe"
	enforcerImageName = "enforcer"
)

// imageTag is the tag of the images this binary loads: its version, as
// kube.ProbeImage spells it, so that certify's default --probe-image names
// exactly the probe image that kind load put on the nodes.
func imageTag() string {
	ref := kube.ProbeImage(version())
	return ref[strings.LastIndex(ref, ":")+1:]
}

// projectImages picks the named images (probe, enforcer) of kind.ProjectImages.
func projectImages(names []string, tag string) ([]kind.BinaryImage, error) {
	var out []kind.BinaryImage
	for _, name := range names {
		if name != probeImageName && name != enforcerImageName {
			return nil, badInput("--images: %q is not one of probe, enforcer", name)
		}
	}
	for _, img := range kind.ProjectImages(tag) {
		if slices.Contains(names, strings.TrimPrefix(img.Path, "/")) {
			img.Optional = false
			out = append(out, img)
		}
	}
	return out, nil
}

// builtImages are image archives in a temporary directory, ready to load.
type builtImages struct {
	dir      string
	archives []string
	// refs are the images' references by name (probe, enforcer).
	refs map[string]string
}

// Close removes the archives.
func (b *builtImages) Close() error { return os.RemoveAll(b.dir) }

// buildImages writes the named images' archives. With from empty it builds
// the programs from the source tree around the working directory (go build,
// static); otherwise from holds prebuilt static binaries named probe and
// enforcer, which are only wrapped.
func buildImages(ctx context.Context, log io.Writer, from string, imgs []kind.BinaryImage) (*builtImages, error) {
	var root string
	if from == "" {
		var err error
		if root, err = sourceRoot(); err != nil {
			return nil, err
		}
	}
	dir, err := os.MkdirTemp("", "netpolcheck-images-")
	if err != nil {
		return nil, fmt.Errorf("image directory: %w", err)
	}
	b := &builtImages{dir: dir, refs: map[string]string{}}
	for _, img := range imgs {
		b.refs[strings.TrimPrefix(img.Path, "/")] = img.Ref
	}
	if from == "" {
		b.archives, err = kind.BuildImages(ctx, log, root, dir, imgs...)
	} else {
		b.archives, err = wrapBinaries(from, dir, imgs)
	}
	if err != nil {
		return nil, errors.Join(fmt.Errorf("build images: %w", err), b.Close())
	}
	return b, nil
}

// wrapBinaries makes each image from the binary of its name in from.
func wrapBinaries(from, dir string, imgs []kind.BinaryImage) ([]string, error) {
	var archives []string
	for _, img := range imgs {
		name := strings.TrimPrefix(img.Path, "/")
		binary := filepath.Join(from, name)
		if err := checkStatic(binary); err != nil {
			return nil, badInput("--images-from: %v", err)
		}
		archive := filepath.Join(dir, name+".tar")
		if err := images.Write(images.BinaryImage(img.Ref, binary, img.Path, img.User), archive); err != nil {
			return nil, err
		}
		archives = append(archives, archive)
	}
	return archives, nil
}

// checkStatic refuses what cannot run in an image holding nothing but the
// binary: a missing file, a non-ELF file, or a dynamically linked program
// (go build links one with cgo unless CGO_ENABLED=0).
func checkStatic(path string) error {
	f, err := elf.Open(path)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			return fmt.Errorf("%s is dynamically linked: build it with CGO_ENABLED=0", path)
		}
	}
	return nil
}

// sourceRoot finds the source tree around the working directory.
func sourceRoot() (string, error) {
	wd, err := os.Getwd()
	if err != nil {
		return "", fmt.Errorf("working directory: %w", err)
	}
	root, ok := findModuleRoot(wd)
	if !ok {
		return "", badInput("%s is not inside the netpolcheck source tree (no go.mod of %s above it): run from a clone, or give --images-from DIR with static probe and enforcer binaries (CGO_ENABLED=0 go build -o DIR/ ./cmd/probe ./cmd/enforcer)", wd, modulePath)
	}
	return root, nil
}

// findModuleRoot walks up from dir to the directory whose go.mod declares
// this project's module.
func findModuleRoot(dir string) (string, bool) {
	for {
		if moduleOf(filepath.Join(dir, "go.mod")) == modulePath {
			return dir, true
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", false
		}
		dir = parent
	}
}

// moduleOf reads the module path a go.mod declares; "" when there is none.
func moduleOf(gomod string) string {
	f, err := os.Open(gomod)
	if err != nil {
		return ""
	}
	defer f.Close()
	scanner := bufio.NewScanner(f)
	for scanner.Scan() {
		if rest, ok := strings.CutPrefix(strings.TrimSpace(scanner.Text()), "module "); ok {
			return strings.Trim(strings.TrimSpace(rest), `"`)
		}
	}
	return ""
}

// binaryImage is one --binary-image: a static binary to wrap as an image.
type binaryImage struct{ ref, binary string }

type binaryImageList []binaryImage

// binaryImages reads --binary-image REF=BINARY values, checking that each
// reference parses and each binary is static.
func binaryImages(values []string) (binaryImageList, error) {
	var out binaryImageList
	for _, v := range values {
		ref, binary, ok := strings.Cut(v, "=")
		if !ok || ref == "" || binary == "" {
			return nil, badInput("--binary-image %q: not REF=BINARY", v)
		}
		if _, err := name.ParseReference(ref); err != nil {
			return nil, badInput("--binary-image %q: image reference: %v", v, err)
		}
		if err := checkStatic(binary); err != nil {
			return nil, badInput("--binary-image %q: %v", v, err)
		}
		out = append(out, binaryImage{ref, binary})
	}
	return out, nil
}

// write makes each image's archive in dir.
func (l binaryImageList) write(dir string) ([]string, error) {
	var archives []string
	for i, b := range l {
		path := "/" + filepath.Base(b.binary)
		archive := filepath.Join(dir, fmt.Sprintf("binary-%d.tar", i))
		if err := images.Write(images.BinaryImage(b.ref, b.binary, path, ""), archive); err != nil {
			return nil, fmt.Errorf("image %s: %w", b.ref, err)
		}
		archives = append(archives, archive)
	}
	return archives, nil
}
