package kind

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"sigs.k8s.io/kind/pkg/apis/config/v1alpha4"
	"sigs.k8s.io/kind/pkg/cluster"
)

// step is one ordered action of Up, named for progress and errors.
type step struct {
	name string
	run  func(ctx context.Context, c *Cluster) error
}

// Up creates the cluster in small ordered steps. When a step fails it exports
// the cluster's logs into the log directory (if one was given) and deletes the
// cluster unless Retain is set, kind's own habit.
func (p *Provider) Up(ctx context.Context, name string) (*Cluster, error) {
	cfg, err := clusterConfig(p.opts)
	if err != nil {
		return nil, fmt.Errorf("kind cluster %s: %w", name, err)
	}
	if err := p.prepareDocker(); err != nil {
		return nil, fmt.Errorf("kind cluster %s: %w", name, err)
	}
	// A failed Up deletes what it made; it must never take a cluster that
	// was there before with it.
	if existing, err := p.kind.ListNodes(name); err != nil || len(existing) > 0 {
		if err == nil {
			err = errExists
		}
		return nil, fmt.Errorf("kind cluster %s: %w", name, err)
	}
	state, owned, err := p.stateDir(name)
	if err != nil {
		return nil, fmt.Errorf("kind cluster %s: state directory: %w", name, err)
	}
	c := &Cluster{name: name, opts: p.opts, kind: p.kind, kubeconfig: filepath.Join(state, "kubeconfig"), external: map[string]*externalHost{}}
	if owned {
		c.ownedState = state
	}
	created := false
	steps := []step{
		{"create the docker network", func(ctx context.Context, c *Cluster) error {
			// From here on a failure has something to clean.
			created = true
			return p.network(ctx, c)
		}},
		{"create nodes", func(ctx context.Context, c *Cluster) error { return p.createNodes(c, cfg) }},
		{"connect to the API server", connect},
		{"wait for pod CIDRs", waitPodCIDRs},
		{"install the pod network", func(ctx context.Context, c *Cluster) error { return installPodNetwork(ctx, c.nodes) }},
		{"cut the nodes off from outside", isolateNodes},
		{"wait for nodes Ready", waitReady},
	}
	for _, s := range steps {
		start := time.Now()
		err := ctx.Err()
		if err == nil {
			err = s.run(ctx, c)
		}
		if err != nil {
			err = fmt.Errorf("kind cluster %s: %s: %w", name, s.name, err)
			if created {
				return nil, p.fail(c, err)
			}
			return nil, err
		}
		fmt.Fprintf(p.opts.Log, "kind cluster %s: %s (%s)\n", name, s.name, time.Since(start).Round(time.Millisecond))
	}
	return c, nil
}

// network ensures the nodes' docker network and checks it keeps clear of
// the pods and services.
func (p *Provider) network(ctx context.Context, c *Cluster) error {
	subnet, err := ensureNetwork(ctx, p.opts.Log, p.opts.Network, p.opts.NetworkSubnet)
	if err != nil {
		return err
	}
	if err := disjoint([][2]string{{"pod subnet", p.opts.PodSubnet}, {"service subnet", p.opts.ServiceSubnet}, {"docker network " + p.opts.Network, subnet}}); err != nil {
		return err
	}
	c.networkSubnet = subnet
	return nil
}

// fail handles a failed Up: logs first, then deletion unless retained.
func (p *Provider) fail(c *Cluster, cause error) error {
	if p.opts.LogDir != "" {
		if err := c.CollectLogs(context.Background(), p.opts.LogDir); err != nil {
			fmt.Fprintf(p.opts.Log, "kind cluster %s: collect logs: %v\n", c.name, err)
		} else {
			fmt.Fprintf(p.opts.Log, "kind cluster %s: logs in %s\n", c.name, p.opts.LogDir)
		}
	}
	if p.opts.Retain {
		fmt.Fprintf(p.opts.Log, "kind cluster %s: kept for debugging (retain)\n", c.name)
		return cause
	}
	if err := c.Down(context.Background()); err != nil {
		fmt.Fprintf(p.opts.Log, "kind cluster %s: delete after failure: %v\n", c.name, err)
	}
	return cause
}

// createNodes runs kind's create with the nodes on our docker network. kind
// is told to retain failed nodes: deleting them is fail's decision, after it
// collected their logs.
func (p *Provider) createNodes(c *Cluster, cfg *v1alpha4.Cluster) error {
	kindEnv.Lock()
	defer kindEnv.Unlock()
	previous, had := os.LookupEnv(networkEnv)
	os.Setenv(networkEnv, p.opts.Network)
	defer func() {
		if had {
			os.Setenv(networkEnv, previous)
		} else {
			os.Unsetenv(networkEnv)
		}
	}()
	return p.kind.Create(c.name,
		cluster.CreateWithV1Alpha4Config(cfg),
		cluster.CreateWithNodeImage(p.opts.NodeImage),
		cluster.CreateWithRetain(true),
		cluster.CreateWithWaitForReady(0),
		cluster.CreateWithKubeconfigPath(c.kubeconfig),
		cluster.CreateWithDisplayUsage(false),
		cluster.CreateWithDisplaySalutation(false),
	)
}
