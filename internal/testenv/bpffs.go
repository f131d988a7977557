package testenv

import (
	"testing"

	"golang.org/x/sys/unix"
)

// BPFFS mounts a private BPF filesystem for one test, so that the test
// never touches /sys/fs/bpf, and unmounts it when the test ends. It
// returns the mount point.
func BPFFS(tb testing.TB) string {
	tb.Helper()
	dir := tb.TempDir()
	if err := unix.Mount("bpf", dir, "bpf", 0, ""); err != nil {
		tb.Fatalf("mount bpffs on %s: %v", dir, err)
	}
	tb.Cleanup(func() {
		if err := unix.Unmount(dir, 0); err != nil {
			tb.Errorf("unmount bpffs %s: %v", dir, err)
		}
	})
	return dir
}
