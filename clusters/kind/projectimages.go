package kind

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

	"github.com/netpolcheck/netpolcheck/clusters/kind/images"
)

// ModulePath is this project's Go module: how a source tree is recognised.
const ModulePath = "github.com/netpolcheck/netpolcheck"

// The project images by the short names kind load --images takes.
const (
	ProbeImageName    = "probe"
	EnforcerImageName = "enforcer"
)

// InputError is a request that cannot be met as asked: a binary that is not
// static, no source tree to build from, a node image nobody can make. The
// CLI exits 2 on it; anything else is a failure of the machine.
type InputError struct{ msg string }

func (e *InputError) Error() string { return e.msg }

func inputErrorf(format string, args ...any) error {
	return &InputError{msg: fmt.Sprintf(format, args...)}
}

// SelectImages picks the named project images (probe, enforcer) tagged tag.
// Every one named is required, even the enforcer while it is optional to
// ProjectImages.
func SelectImages(names []string, tag string) ([]BinaryImage, error) {
	for _, name := range names {
		if name != ProbeImageName && name != EnforcerImageName {
			return nil, inputErrorf("--images: %q is not one of %s, %s", name, ProbeImageName, EnforcerImageName)
		}
	}
	var out []BinaryImage
	for _, img := range ProjectImages(tag) {
		if slices.Contains(names, img.name()) {
			img.Optional = false
			out = append(out, img)
		}
	}
	return out, nil
}

// name is the image's short name: its binary's.
func (b BinaryImage) name() string { return strings.TrimPrefix(b.Path, "/") }

// BuiltImages are image archives in a temporary directory, ready to load.
type BuiltImages struct {
	// Dir holds the archives; Close removes it.
	Dir      string
	Archives []string
	// Refs are the images' references by short name (probe, enforcer).
	Refs map[string]string
}

// Close removes the archives.
func (b *BuiltImages) Close() error {
	if b == nil {
		return nil
	}
	return os.RemoveAll(b.Dir)
}

// BuildProjectImages writes the images' archives. With from empty it builds
// the programs from the module at root (go build, static); otherwise from
// holds prebuilt static binaries named probe and enforcer, which are only
// wrapped. With no images it only makes the directory, for the caller's own
// archives (kind load --binary-image alone), and needs neither.
func BuildProjectImages(ctx context.Context, log io.Writer, root, from string, imgs []BinaryImage) (*BuiltImages, error) {
	if from == "" && root == "" && len(imgs) > 0 {
		return nil, inputErrorf("no netpolcheck source tree to build the images from: run from a clone, or give --images-from DIR with static probe and enforcer binaries (CGO_ENABLED=0 go build -o DIR/ ./cmd/probe ./cmd/enforcer)")
	}
	dir, err := os.MkdirTemp("", "netpolcheck-images-")
	if err != nil {
		return nil, fmt.Errorf("image directory: %w", err)
	}
	b := &BuiltImages{Dir: dir, Refs: map[string]string{}}
	for _, img := range imgs {
		b.Refs[img.name()] = img.Ref
	}
	if from == "" {
		b.Archives, err = BuildImages(ctx, log, root, dir, imgs...)
	} else {
		b.Archives, err = wrapBinaries(from, dir, imgs)
	}
	if err != nil {
		return nil, errors.Join(fmt.Errorf("build images: %w", err), b.Close())
	}
	return b, nil
}

// wrapBinaries makes each image from the binary of its name in from.
func wrapBinaries(from, dir string, imgs []BinaryImage) ([]string, error) {
	var archives []string
	for _, img := range imgs {
		binary := filepath.Join(from, img.name())
		if err := CheckStatic(binary); err != nil {
			return nil, inputErrorf("--images-from: %v", err)
		}
		archive := filepath.Join(dir, img.name()+".tar")
		if err := images.Write(images.BinaryImage(img.Ref, binary, img.Path, img.User), archive); err != nil {
			return nil, err
		}
		archives = append(archives, archive)
	}
	return archives, nil
}

// CheckStatic refuses what cannot run in an image holding nothing but the
// binary: a missing file, a non-ELF file, or a dynamically linked program
// (go build links one with cgo unless CGO_ENABLED=0).
func CheckStatic(path string) error {
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

// FindSourceRoot walks up from dir to the directory whose go.mod declares
// this project's module.
func FindSourceRoot(dir string) (string, bool) {
	for {
		if moduleOf(filepath.Join(dir, "go.mod")) == ModulePath {
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
