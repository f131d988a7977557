package nodeimage

import (
	_ "embed"
	"fmt"
	"os"
	"path/filepath"
)

// The scripts and files the images are assembled with. They are embedded so
// that their content is part of the keys and so that the build needs nothing
// from the repository but the wrapper modules.
var (
	//go:embed files/base-rootfs.sh
	baseRootfsScript []byte
	//go:embed files/entrypoint-offline
	entrypointOffline []byte
	//go:embed files/iptables-wrapper
	iptablesWrapper []byte
)

// writeExecutable puts an embedded file into dir and returns its path.
func writeExecutable(dir, name string, data []byte) (string, error) {
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, data, 0o755); err != nil {
		return "", fmt.Errorf("write %s: %w", name, err)
	}
	return path, nil
}
