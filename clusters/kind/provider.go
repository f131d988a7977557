package kind

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"

	"sigs.k8s.io/kind/pkg/cluster"
)

// Provider creates and deletes kind clusters for netpolcheck. It drives kind
// as a library; kind still runs the docker CLI, which is why the docker shim
// and the network choice act on this process's environment.
type Provider struct {
	opts Options
	kind *cluster.Provider
}

// NewProvider returns a Provider with the options applied over the defaults:
// one node, the offline node image, pods in 192.168.0.0/16.
func NewProvider(opts ...Option) *Provider {
	o := newOptions(opts...)
	return &Provider{
		opts: o,
		kind: cluster.NewProvider(cluster.ProviderWithDocker(), cluster.ProviderWithLogger(kindLogger{w: o.Log})),
	}
}

// Up creates a cluster with the options and returns it with every node Ready.
// It is the short form of NewProvider(opts...).Up(ctx, name).
func Up(ctx context.Context, name string, opts ...Option) (*Cluster, error) {
	return NewProvider(opts...).Up(ctx, name)
}

// kindEnv serialises cluster creations: kind reads the docker network's name
// from the process environment.
var kindEnv sync.Mutex

// networkEnv is the variable kind v0.30 reads the nodes' network from.
const networkEnv = "KIND_EXPERIMENTAL_DOCKER_NETWORK"

// stateDir returns the directory for a cluster's kubeconfig, and whether it
// was made here (and so is removed by Down).
func (p *Provider) stateDir(name string) (string, bool, error) {
	if p.opts.StateDir != "" {
		return p.opts.StateDir, false, os.MkdirAll(p.opts.StateDir, 0o700)
	}
	dir := filepath.Join(os.TempDir(), "netpolcheck-kind-"+name)
	return dir, true, os.MkdirAll(dir, 0o700)
}

// dockerShimDir is where the shim is written when the host needs it.
func dockerShimDir() string { return filepath.Join(os.TempDir(), "netpolcheck-kind-shim") }

// prepareDocker installs the docker shim when this host's capability bounding
// set needs it (see NeedsDockerShim).
func (p *Provider) prepareDocker() error {
	status, err := os.Open("/proc/self/status")
	if err != nil {
		return fmt.Errorf("read capabilities: %w", err)
	}
	defer status.Close()
	needed, err := NeedsDockerShim(status)
	if err != nil || !needed {
		return err
	}
	dir, err := installDockerShim(dockerShimDir())
	if err != nil {
		return err
	}
	fmt.Fprintf(p.opts.Log, "docker shim in %s: this host cannot run --privileged containers (no CAP_SYS_RESOURCE)\n", dir)
	return nil
}

// errNotFound is returned for a cluster that has no nodes.
var errNotFound = errors.New("no such kind cluster")

// errExists is returned by Up for a name that already has nodes.
var errExists = errors.New("already exists: delete it first (Provider.Down)")
