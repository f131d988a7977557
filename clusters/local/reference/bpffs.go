package reference

import (
	"fmt"
	"path/filepath"
	"strings"
	"sync"

	"golang.org/x/sys/unix"
)

// bpffsRoot is where the system mounts the BPF filesystem.
const bpffsRoot = "/sys/fs/bpf"

// mountMu keeps clusters starting in parallel from mounting twice.
var mountMu sync.Mutex

// ensureBPFFS mounts a BPF filesystem on root when dir lies below it and
// root is not one yet, as after a reboot on systems that do not mount it at
// boot. Directories elsewhere are left for the datapath to check.
func ensureBPFFS(root, dir string) error {
	if !strings.HasPrefix(filepath.Clean(dir)+"/", filepath.Clean(root)+"/") {
		return nil
	}
	mountMu.Lock()
	defer mountMu.Unlock()
	var fs unix.Statfs_t
	if err := unix.Statfs(root, &fs); err != nil {
		return fmt.Errorf("check bpffs on %s: %w", root, err)
	}
	if fs.Type == unix.BPF_FS_MAGIC {
		return nil
	}
	if err := unix.Mount("bpf", root, "bpf", 0, "mode=0700"); err != nil {
		return fmt.Errorf("mount bpffs on %s: %w", root, err)
	}
	return nil
}
