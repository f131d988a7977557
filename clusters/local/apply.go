package local

import (
	"context"
	"errors"
	"fmt"

	"github.com/netpolcheck/netpolcheck/clusters"
	"github.com/netpolcheck/netpolcheck/scenarios"
)

// Apply carries out one change. Pods and namespaces change the network;
// labels and policies are only recorded, since without an enforcer nothing
// here acts on them. The enforcer then gets the change, with the network
// already in its new shape.
func (c *Cluster) Apply(ctx context.Context, ch scenarios.Change) (clusters.Addresses, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.phase != phaseReady {
		return nil, fmt.Errorf("apply %s to local cluster %s: not set up", ch.Kind, c.scenario)
	}
	if err := c.ledger.check(ch); err != nil {
		return nil, fmt.Errorf("apply to local cluster %s: %w", c.scenario, err)
	}
	addrs, err := c.applyNetwork(ctx, ch)
	if err != nil {
		return nil, fmt.Errorf("apply %s to local cluster %s: %w", ch.Kind, c.scenario, err)
	}
	if err := c.enforce(ctx, ch); err != nil {
		return nil, fmt.Errorf("apply to local cluster %s: %w", c.scenario, err)
	}
	return addrs, nil
}

// applyNetwork changes the namespaces and the record for a checked change.
func (c *Cluster) applyNetwork(ctx context.Context, ch scenarios.Change) (clusters.Addresses, error) {
	switch ch.Kind {
	case scenarios.AddPod:
		c.ledger.apply(ch)
		if err := c.addPod(*ch.Pod); err != nil {
			// Forget the pod again so that the record matches the network.
			c.ledger.apply(scenarios.Change{Kind: scenarios.RemovePod, Pod: ch.Pod})
			return nil, err
		}
		if err := errors.Join(c.syncRoutes(), c.syncServices()); err != nil {
			return nil, err
		}
		if err := c.waitLinksUp(ctx, []*endpoint{c.endpoints[ch.Pod.ID()]}); err != nil {
			return nil, err
		}
		return clusters.Addresses{ch.Pod.ID(): ch.Pod.IP}, nil
	case scenarios.RemovePod:
		return nil, errors.Join(c.removePod(ch.Pod.ID()), c.syncRoutes(), c.syncServices())
	case scenarios.RemoveNamespace:
		var errs []error
		for _, id := range c.ledger.podsIn(ch.Namespace.Name) {
			errs = append(errs, c.removePod(id))
		}
		c.ledger.apply(ch)
		errs = append(errs, c.syncRoutes(), c.syncServices())
		return nil, errors.Join(errs...)
	default:
		c.ledger.apply(ch)
		return nil, nil
	}
}
