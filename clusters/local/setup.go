package local

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"

	"github.com/netpolcheck/netpolcheck/clusters"
	"github.com/netpolcheck/netpolcheck/probes"
	"github.com/netpolcheck/netpolcheck/scenarios"
)

// Setup builds the node, every pod and every external host, starts their
// probe servers, then starts the enforcer and hands it every namespace and
// pod. Policies in w are ignored: Setup creates none, the runner applies
// them as changes. On failure Setup removes what it built.
func (c *Cluster) Setup(ctx context.Context, w *scenarios.World) (clusters.Addresses, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	switch {
	case c.phase == phaseReady:
		return nil, fmt.Errorf("set up local cluster %s: already set up", c.scenario)
	case c.phase == phaseGone:
		return nil, fmt.Errorf("set up local cluster %s: torn down", c.scenario)
	case w == nil:
		return nil, fmt.Errorf("set up local cluster %s: no world", c.scenario)
	}
	l, err := newLedger(w)
	if err != nil {
		return nil, fmt.Errorf("set up local cluster %s: %w", c.scenario, err)
	}
	c.ledger = l
	c.phase = phaseReady
	if err := c.build(ctx); err != nil {
		return nil, errors.Join(fmt.Errorf("set up local cluster %s: %w", c.scenario, err), c.teardown())
	}
	addrs := clusters.Addresses{}
	for _, p := range c.ledger.w.Pods {
		addrs[p.ID()] = p.IP
	}
	return addrs, nil
}

// build creates the network of the recorded world, then the enforcer.
func (c *Cluster) build(ctx context.Context) error {
	if err := c.createNode(); err != nil {
		return err
	}
	for _, p := range c.ledger.w.Pods {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := c.addPod(p); err != nil {
			return err
		}
	}
	for _, h := range c.ledger.w.ExternalHosts {
		if err := ctx.Err(); err != nil {
			return err
		}
		ip, _ := parseIPv4(h.IP) // the ledger checked it
		ep, err := c.addEndpoint(h.Name, true, ip, c.portSpecs(h.Ports))
		if err != nil {
			return err
		}
		c.endpoints[h.Name] = ep
	}
	if err := c.syncServices(); err != nil {
		return err
	}
	if err := c.waitLinksUp(ctx, slices.Collect(maps.Values(c.endpoints))); err != nil {
		return err
	}
	if c.b.opts.Enforcer == nil {
		return nil
	}
	enf, err := c.b.opts.Enforcer(ctx, c.node)
	if err != nil {
		return fmt.Errorf("start enforcer: %w", err)
	}
	c.enforcer = enf
	for _, ns := range c.ledger.snapshot().Namespaces {
		if err := c.enforce(ctx, scenarios.Change{Kind: scenarios.AddNamespace, Namespace: &ns}); err != nil {
			return err
		}
	}
	for _, p := range c.ledger.snapshot().Pods {
		if err := c.enforce(ctx, scenarios.Change{Kind: scenarios.AddPod, Pod: &p}); err != nil {
			return err
		}
	}
	return nil
}

// addPod creates a recorded pod's endpoint and publishes its link to the enforcer's Node.
func (c *Cluster) addPod(p scenarios.Pod) error {
	ip, _ := parseIPv4(p.IP) // the ledger checked it
	ep, err := c.addEndpoint(p.ID(), false, ip, c.portSpecs(p.Ports))
	if err != nil {
		return err
	}
	c.endpoints[p.ID()] = ep
	c.node.setPod(PodLink{Pod: p.ID(), Interface: ep.hostIf, Index: ep.hostIndex, IP: p.IP})
	return nil
}

// removePod deletes a pod's endpoint and its record.
func (c *Cluster) removePod(id string) error {
	c.node.removePod(id)
	ep := c.endpoints[id]
	delete(c.endpoints, id)
	if i := c.ledger.pod(id); i >= 0 {
		p := c.ledger.w.Pods[i]
		c.ledger.apply(scenarios.Change{Kind: scenarios.RemovePod, Pod: &p})
	}
	if ep == nil {
		return nil
	}
	return c.destroyEndpoint(ep, true)
}

// portSpecs turns a model's ports into the ones to serve. SCTP ports are
// dropped when the kernel has no SCTP: the runner skips those cells anyway,
// and the server could not bind them.
func (c *Cluster) portSpecs(ports []scenarios.Port) []probes.PortSpec {
	var specs []probes.PortSpec
	for _, p := range ports {
		if p.Protocol == scenarios.SCTP && !c.b.caps.SCTP {
			continue
		}
		specs = append(specs, probes.PortSpec{Port: p.Port, Protocol: string(p.Protocol)})
	}
	return specs
}

// enforce hands a change to the enforcer, if there is one.
func (c *Cluster) enforce(ctx context.Context, ch scenarios.Change) error {
	if c.enforcer == nil {
		return nil
	}
	if err := c.enforcer.Apply(ctx, ch); err != nil {
		return fmt.Errorf("enforcer: %s: %w", ch.Kind, err)
	}
	return nil
}
