package local

import (
	"github.com/netpolcheck/netpolcheck/clusters"
	"path/filepath"
	"strconv"
	"strings"
)

// namePrefix starts every network namespace this package creates, so Clean
// can tell ours from anyone else's.
const namePrefix = "npc-"

// paths are the host locations a run leaves traces in. Tests point them at
// temporary directories so that they never touch other runs' traces.
type paths struct {
	// NetnsDir holds the bind mounts that pin named namespaces (ip netns's directory).
	NetnsDir string
	// RegistryDir holds one <run>.json per live run.
	RegistryDir string
	// PinRoot holds one BPF pin directory per run, for the enforcer.
	PinRoot string
}

// hostPaths are the real locations, shared with `ip netns` and the enforcer.
var hostPaths = paths{
	NetnsDir:    "/run/netns",
	RegistryDir: "/run/netpolcheck",
	PinRoot:     "/sys/fs/bpf/netpolcheck",
}

func (p paths) netns(name string) string       { return filepath.Join(p.NetnsDir, name) }
func (p paths) registration(run string) string { return filepath.Join(p.RegistryDir, run+".json") }
func (p paths) pinDir(run string) string       { return filepath.Join(p.PinRoot, run) }
func (p paths) clusterPinDir(run string, n int) string {
	return filepath.Join(p.PinRoot, run, strconv.Itoa(n))
}

// clusterPrefix names a cluster's namespaces: npc-<run>-<n>.
func clusterPrefix(run string, n int) string {
	return namePrefix + run + "-" + strconv.Itoa(n)
}

// runOfNetns returns the run ID inside a namespace name of ours, or false for
// a name this package did not make.
func runOfNetns(name string) (string, bool) {
	rest, ok := strings.CutPrefix(name, namePrefix)
	if !ok {
		return "", false
	}
	run, _, ok := strings.Cut(rest, "-")
	if !ok || clusters.ValidateRunID(run) != nil {
		return "", false
	}
	return run, true
}
