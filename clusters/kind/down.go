package kind

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/netpolcheck/netpolcheck/clusters/kind/internal/run"
)

// Down deletes the cluster: its external hosts, its nodes, its kubeconfig
// and, once no other cluster uses it, the docker network. It is safe to call
// twice.
func (c *Cluster) Down(ctx context.Context) error {
	var errs []error
	if err := removeExternalContainers(ctx, c.opts.Log, c.name); err != nil {
		errs = append(errs, err)
	}
	if err := removeMasqueradeExemptions(ctx, c.opts.Log, c.name); err != nil {
		errs = append(errs, err)
	}
	c.mu.Lock()
	c.external = map[string]*externalHost{}
	c.mu.Unlock()
	if err := c.kind.Delete(c.name, c.kubeconfig); err != nil {
		errs = append(errs, fmt.Errorf("delete nodes: %w", err))
	}
	if err := removeNetworkIfUnused(ctx, c.opts.Log, c.opts.Network); err != nil {
		errs = append(errs, err)
	}
	if c.ownedState != "" {
		if err := os.RemoveAll(c.ownedState); err != nil {
			errs = append(errs, fmt.Errorf("remove state: %w", err))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("kind cluster %s: down: %w", c.name, err)
	}
	return nil
}

// Down deletes the named cluster, also one that another process created.
func (p *Provider) Down(ctx context.Context, name string) error {
	state, owned, err := p.stateDir(name)
	if err != nil {
		return fmt.Errorf("kind cluster %s: state directory: %w", name, err)
	}
	c := &Cluster{name: name, opts: p.opts, kind: p.kind, kubeconfig: state + "/kubeconfig"}
	if owned {
		c.ownedState = state
	}
	return c.Down(ctx)
}

// removeExternalContainers removes every external host container of a cluster.
func removeExternalContainers(ctx context.Context, log io.Writer, cluster string) error {
	ids, err := run.Docker(ctx, nil, "ps", "-aq", "--filter", "label="+externalLabel+"="+cluster)
	if err != nil {
		return fmt.Errorf("list external hosts: %w", err)
	}
	for _, id := range strings.Fields(ids) {
		if _, err := run.Docker(ctx, log, "rm", "-f", "-v", id); err != nil {
			return fmt.Errorf("remove external host: %w", err)
		}
	}
	return nil
}
