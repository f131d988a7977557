package kind

import (
	"context"
	"os"
	"path/filepath"
	"slices"
)

// Env is what another tool (the upstream e2e suite, kubectl, the kind
// command) needs to drive a cluster as this package does.
type Env struct {
	// Kubeconfig is the cluster's kubeconfig.
	Kubeconfig string
	// Path are directories to put first in PATH: the docker shim's, on
	// hosts that need it (kind drives the docker CLI, and --privileged
	// fails there without the shim), and the one holding the kind and
	// kubectl binaries the offline node image build made, when it exists.
	Path []string
}

// Env returns the environment that drives the existing cluster name.
func (p *Provider) Env(ctx context.Context, name string) (Env, error) {
	c, err := p.Get(ctx, name)
	if err != nil {
		return Env{}, err
	}
	env := Env{Kubeconfig: c.Kubeconfig()}
	shimOnce.Lock()
	if shimOnce.dir != "" {
		env.Path = append(env.Path, shimOnce.dir)
	}
	shimOnce.Unlock()
	if dir := cachedBinaries(p.opts.BinariesCache); dir != "" {
		env.Path = append(env.Path, dir)
	}
	return env, nil
}

// cachedBinaries is the newest binaries directory of the node image cache
// that holds a kind binary, or "".
func cachedBinaries(cache string) string {
	matches, _ := filepath.Glob(filepath.Join(cache, "binaries-*", "bin", "kind"))
	slices.SortFunc(matches, func(a, b string) int {
		sa, errA := os.Stat(a)
		sb, errB := os.Stat(b)
		if errA != nil || errB != nil {
			return 0
		}
		return sb.ModTime().Compare(sa.ModTime())
	})
	if len(matches) == 0 {
		return ""
	}
	return filepath.Dir(matches[0])
}
