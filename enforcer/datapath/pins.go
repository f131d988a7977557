package datapath

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"

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

// link is the pin of the link attaching one program to one hook.
func (p pins) link(h hook) string { return p.linkPath(h.name) }

// linkPath is the pin called name among the links.
func (p pins) linkPath(name string) string { return filepath.Join(p.links(), name) }

// hookNamed reads back what link wrote: the hook.
func hookNamed(name string) (hook, bool) {
	for _, h := range hooks {
		if h.name == name {
			return h, true
		}
	}
	return hook{}, false
}

// legacyTCXPin names the per-device links of builds before the netfilter
// hooks: "<ifindex>_tcx_ingress" and "<ifindex>_tcx_egress".
var legacyTCXPin = regexp.MustCompile(`^[1-9][0-9]*_tcx_(ingress|egress)$`)

func isLegacyTCXPin(name string) bool { return legacyTCXPin.MatchString(name) }

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
