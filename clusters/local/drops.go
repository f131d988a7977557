package local

import (
	"github.com/netpolcheck/netpolcheck/clusters"
	"github.com/netpolcheck/netpolcheck/probes"
)

var _ clusters.DropEnder = (*Cluster)(nil)

// Drops returns the enforcer's drop log entries for the job, when the
// enforcer keeps one (it is a clusters.DropReporter); nil otherwise.
func (c *Cluster) Drops(job probes.Job) []string {
	c.mu.RLock()
	defer c.mu.RUnlock()
	r, ok := c.enforcer.(clusters.DropReporter)
	if !ok {
		return nil
	}
	return r.Drops(job)
}

// EndsDroppedProbes tells whether probes end at their logged drop: when the
// enforcer reports drops as they happen (a DropWatcher).
func (c *Cluster) EndsDroppedProbes() bool {
	c.mu.RLock()
	defer c.mu.RUnlock()
	_, ok := c.enforcer.(DropWatcher)
	return ok
}
