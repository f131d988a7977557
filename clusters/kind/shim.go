package kind

import (
	"bufio"
	_ "embed"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
)

// capSysResource is CAP_SYS_RESOURCE's bit in the capability sets.
const capSysResource = 24

// NeedsDockerShim tells from a /proc/<pid>/status whether `docker run
// --privileged` fails on this host: it asks runc for every capability, and a
// capability bounding set without CAP_SYS_RESOURCE (some VMs and sandboxes)
// refuses it with "unable to apply caps: operation not permitted".
func NeedsDockerShim(status io.Reader) (bool, error) {
	scanner := bufio.NewScanner(status)
	for scanner.Scan() {
		hex, ok := strings.CutPrefix(scanner.Text(), "CapBnd:")
		if !ok {
			continue
		}
		bounding, err := strconv.ParseUint(strings.TrimSpace(hex), 16, 64)
		if err != nil {
			return false, fmt.Errorf("parse CapBnd %q: %w", strings.TrimSpace(hex), err)
		}
		return bounding&(1<<capSysResource) == 0, nil
	}
	if err := scanner.Err(); err != nil {
		return false, fmt.Errorf("read capabilities: %w", err)
	}
	return false, fmt.Errorf("no CapBnd line in the process status")
}

// dockerShim stands before the real docker in PATH while kind runs (kind,
// as a library too, drives the docker CLI). It turns --privileged into every
// capability but CAP_SYS_RESOURCE, with the system paths and devices
// --privileged would have opened, and marks the node so that its
// pre-entrypoint remounts the cgroup mounts read-write. Nothing else changes.
//
//go:embed shim/docker
var dockerShim string

// shimOnce installs the shim at most once per process: PATH is process-wide.
var shimOnce struct {
	sync.Mutex
	dir string
}

// installDockerShim writes the shim into dir, pointing at the docker found in
// PATH now, and puts dir first in this process's PATH so that kind's docker
// commands go through it. It returns the shim's directory.
func installDockerShim(dir string) (string, error) {
	shimOnce.Lock()
	defer shimOnce.Unlock()
	if shimOnce.dir != "" {
		return shimOnce.dir, nil
	}
	real, err := exec.LookPath("docker")
	if err != nil {
		return "", fmt.Errorf("install docker shim: %w", err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("install docker shim: %w", err)
	}
	script := strings.Replace(dockerShim, "@REAL_DOCKER@", real, 1)
	if err := os.WriteFile(filepath.Join(dir, "docker"), []byte(script), 0o755); err != nil {
		return "", fmt.Errorf("install docker shim: %w", err)
	}
	if err := os.Setenv("PATH", dir+string(os.PathListSeparator)+os.Getenv("PATH")); err != nil {
		return "", fmt.Errorf("install docker shim: %w", err)
	}
	shimOnce.dir = dir
	return dir, nil
}
