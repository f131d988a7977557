package nodeimage

import (
	"bufio"
	"context"
	"fmt"
	"github.com/netpolcheck/netpolcheck/clusters/kind/internal/run"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// rootfsKey covers what a debootstrapped tree depends on. The mirror is left
// out: every mirror serves the same suite.
func rootfsKey(suite string, packages []string) Key {
	b := NewKeyBuilder().String("suite", suite).String("variant", "minbase")
	for i, p := range packages {
		b.String(fmt.Sprintf("package %03d", i), p)
	}
	return b.Sum()
}

// debootstrap installs a minimal Debian suite with the packages into dir/rootfs.
func debootstrap(ctx context.Context, log io.Writer, mirror, suite string, packages []string, dir string) error {
	rootfs := filepath.Join(dir, "rootfs")
	c := run.Command{Name: "debootstrap", Args: []string{
		"--variant=minbase", "--include=" + strings.Join(packages, ","), suite, rootfs, mirror,
	}}
	if _, err := c.Output(ctx, log); err != nil {
		return fmt.Errorf("debootstrap %s: %w", suite, err)
	}
	for _, junk := range []string{"var/cache/apt", "var/lib/apt/lists", "usr/share/doc", "usr/share/man", "usr/share/locale"} {
		if err := emptyDir(filepath.Join(rootfs, junk)); err != nil {
			return err
		}
	}
	return nil
}

// emptyDir removes what dir holds but keeps dir, as the packages expect it.
func emptyDir(dir string) error {
	entries, err := os.ReadDir(dir)
	if err != nil {
		if os.IsNotExist(err) {
			return nil
		}
		return fmt.Errorf("slim rootfs: %w", err)
	}
	for _, e := range entries {
		if err := os.RemoveAll(filepath.Join(dir, e.Name())); err != nil {
			return fmt.Errorf("slim rootfs: %w", err)
		}
	}
	return nil
}

// DebianMirror is the mirror the machine's own apt uses: the first URIs line
// of a deb822 source, or the first deb line of a one-line source. Offline
// machines reach Debian only through the mirror they are configured with.
func DebianMirror(sources ...string) (string, error) {
	for _, path := range sources {
		f, err := os.Open(path)
		if err != nil {
			continue
		}
		mirror := mirrorFrom(f)
		f.Close()
		if mirror != "" {
			return mirror, nil
		}
	}
	return "", fmt.Errorf("no Debian mirror in %s: set DEBIAN_MIRROR", strings.Join(sources, ", "))
}

// DefaultAptSources are where DebianMirror looks by default.
var DefaultAptSources = []string{"/etc/apt/sources.list.d/debian.sources", "/etc/apt/sources.list"}

// mirrorFrom reads one apt source file.
func mirrorFrom(r io.Reader) string {
	scanner := bufio.NewScanner(r)
	for scanner.Scan() {
		fields := strings.Fields(scanner.Text())
		switch {
		case len(fields) >= 2 && fields[0] == "URIs:":
			return fields[1]
		case len(fields) >= 3 && fields[0] == "deb":
			// "deb [options] URI suite": the URI is the first field that is not an option.
			for _, f := range fields[1:] {
				if !strings.HasPrefix(f, "[") && !strings.HasSuffix(f, "]") && strings.Contains(f, "://") {
					return f
				}
			}
		}
	}
	return ""
}
