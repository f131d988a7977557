package local

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// Teardown stops the enforcer and the probe servers, then deletes every
// namespace of the cluster; deleting the node takes every veth with it. It
// goes on past errors and returns them all, and a second call does nothing.
// It ignores ctx being done: stopping half way would leave namespaces behind.
func (c *Cluster) Teardown(ctx context.Context) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.phase == phaseGone {
		return nil
	}
	if err := c.teardown(); err != nil {
		return fmt.Errorf("tear down local cluster %s: %w", c.scenario, err)
	}
	return nil
}

// teardown does Teardown's work with c.mu held.
func (c *Cluster) teardown() error {
	c.phase = phaseGone
	var errs []error
	if c.enforcer != nil {
		// First, so that it detaches while the links still exist.
		if err := c.enforcer.Close(); err != nil {
			errs = append(errs, fmt.Errorf("close enforcer: %w", err))
		}
		c.enforcer = nil
	}
	if err := os.RemoveAll(c.node.PinDir); err != nil {
		errs = append(errs, fmt.Errorf("remove BPF pins: %w", err))
	}
	for _, ep := range c.endpoints {
		if ep.server != nil {
			if err := ep.server.Close(); err != nil {
				errs = append(errs, fmt.Errorf("close server of %s: %w", ep.name, err))
			}
			ep.server = nil
		}
	}
	c.stopServe()
	errs = append(errs, c.deleteNode())
	for name, ep := range c.endpoints {
		errs = append(errs, c.destroyEndpoint(ep, false))
		delete(c.endpoints, name)
		c.node.removePod(name)
	}
	errs = append(errs, c.sweep())
	c.b.forget(c)
	return errors.Join(errs...)
}

// sweep deletes any namespace of the cluster that is no longer tracked, such
// as one that failed to go when its pod was removed, so that none outlives
// the cluster.
func (c *Cluster) sweep() error {
	left, err := filepath.Glob(c.b.paths.netns(c.prefix + "-*"))
	if err != nil {
		return fmt.Errorf("list leftover namespaces: %w", err)
	}
	var errs []error
	for _, path := range left {
		if err := deleteNetns(path); err != nil {
			errs = append(errs, err)
			continue
		}
		errs = append(errs, c.b.registry.remove(filepath.Base(path)))
	}
	return errors.Join(errs...)
}
