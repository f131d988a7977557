package nodeimage

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// DefaultCacheDir is where stage outputs live. It is outside the repository on
// purpose: every clean clone on the machine reuses the same multi-gigabyte build.
const DefaultCacheDir = "/var/cache/netpolcheck/kind"

// Cache holds one directory per built stage, named "<stage>-<key>". A stage's
// directory appears only once its build has finished (built under a temporary
// name, then renamed), so a crash never leaves a half-built entry that looks done.
type Cache struct {
	Dir string
}

// Path is where the stage's output for key lives once built.
func (c Cache) Path(stage string, key Key) string {
	return filepath.Join(c.Dir, stage+"-"+string(key))
}

// Has tells whether the stage was already built for key.
func (c Cache) Has(stage string, key Key) bool {
	info, err := os.Stat(c.Path(stage, key))
	return err == nil && info.IsDir()
}

// Ensure returns the stage's directory for key, running build into a fresh
// directory first when it is not cached. It reports whether it built. Older
// builds of the same stage are removed afterwards: they can only be reached
// again by reverting an input, and each may weigh gigabytes.
func (c Cache) Ensure(ctx context.Context, stage string, key Key, build func(ctx context.Context, dir string) error) (string, bool, error) {
	final := c.Path(stage, key)
	if c.Has(stage, key) {
		return final, false, nil
	}
	if err := os.MkdirAll(c.Dir, 0o755); err != nil {
		return "", false, fmt.Errorf("create cache: %w", err)
	}
	tmp, err := os.MkdirTemp(c.Dir, ".building-"+stage+"-")
	if err != nil {
		return "", false, fmt.Errorf("create cache entry: %w", err)
	}
	// MkdirTemp makes it private; entries are read by tools running as other users too.
	if err := os.Chmod(tmp, 0o755); err != nil {
		os.RemoveAll(tmp)
		return "", false, fmt.Errorf("create cache entry: %w", err)
	}
	if err := build(ctx, tmp); err != nil {
		os.RemoveAll(tmp)
		return "", false, fmt.Errorf("build %s: %w", stage, err)
	}
	if err := os.Rename(tmp, final); err != nil {
		os.RemoveAll(tmp)
		return "", false, fmt.Errorf("store %s: %w", stage, err)
	}
	if err := c.prune(stage, key); err != nil {
		return "", false, err
	}
	return final, true, nil
}

// prune removes the stage's entries other than key's, and leftovers of builds
// of the stage that crashed.
func (c Cache) prune(stage string, key Key) error {
	entries, err := os.ReadDir(c.Dir)
	if err != nil {
		return fmt.Errorf("prune cache: %w", err)
	}
	keep := stage + "-" + string(key)
	for _, e := range entries {
		name := e.Name()
		stale := strings.HasPrefix(name, stage+"-") && isKey(strings.TrimPrefix(name, stage+"-")) && name != keep
		crashed := strings.HasPrefix(name, ".building-"+stage+"-")
		if !stale && !crashed {
			continue
		}
		if err := os.RemoveAll(filepath.Join(c.Dir, name)); err != nil {
			return fmt.Errorf("prune cache: %w", err)
		}
	}
	return nil
}

// isKey tells whether s looks like a Key, so that pruning "rootfs" never
// removes the entries of a stage named "rootfs-iptables".
func isKey(s string) bool {
	if len(s) != 64 {
		return false
	}
	for _, r := range s {
		if !strings.ContainsRune("0123456789abcdef", r) {
			return false
		}
	}
	return true
}
