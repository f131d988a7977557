package kind

import (
	"context"
	"fmt"
	"path/filepath"
)

// Get returns a cluster this package created earlier, perhaps in another
// process, by name: `up` in one command and `run` in the next. External hosts
// added by that other process are not known to the returned Cluster, but Down
// still removes them.
func (p *Provider) Get(ctx context.Context, name string) (*Cluster, error) {
	// This process drives the nodes too (docker exec --privileged to load
	// images), so it needs the shim as much as the one that made them.
	if err := p.prepareDocker(); err != nil {
		return nil, fmt.Errorf("kind cluster %s: %w", name, err)
	}
	kindNodes, err := p.kind.ListNodes(name)
	if err != nil {
		return nil, fmt.Errorf("kind cluster %s: %w", name, err)
	}
	if len(kindNodes) == 0 {
		return nil, fmt.Errorf("kind cluster %s: %w", name, errNotFound)
	}
	state, owned, err := p.stateDir(name)
	if err != nil {
		return nil, fmt.Errorf("kind cluster %s: state directory: %w", name, err)
	}
	c := &Cluster{name: name, opts: p.opts, kind: p.kind, kubeconfig: filepath.Join(state, "kubeconfig"), external: map[string]*externalHost{}}
	if owned {
		c.ownedState = state
	}
	if err := p.kind.ExportKubeConfig(name, c.kubeconfig, false); err != nil {
		return nil, fmt.Errorf("kind cluster %s: kubeconfig: %w", name, err)
	}
	if c.networkSubnet, err = networkSubnet(ctx, p.opts.Network); err != nil {
		return nil, fmt.Errorf("kind cluster %s: %w", name, err)
	}
	if err := connect(ctx, c); err != nil {
		return nil, fmt.Errorf("kind cluster %s: connect: %w", name, err)
	}
	if err := waitPodCIDRs(ctx, c); err != nil {
		return nil, fmt.Errorf("kind cluster %s: %w", name, err)
	}
	return c, nil
}
