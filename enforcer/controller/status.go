package controller

import (
	"context"
	"fmt"
	"slices"
	"strings"
)

// Status is what the controller has put in force.
type Status struct {
	// Generation is the datapath generation in force, zero before the first Apply.
	Generation uint32
	// Marker is the highest sync marker whose writes are all in force.
	Marker uint64
	// Endpoints counts the local pods the tables enforce.
	Endpoints int
	// Pending lists the local pods left unenforced by the last sync and why,
	// "ns/name: reason", in pod order.
	Pending []string
	// Err is why the last sync failed, nil when it succeeded.
	Err error
	// Phase is what the controller was doing when the status was published,
	// so that a sync that never comes says where the controller stands.
	Phase string
}

// The phases of Status.Phase.
const (
	PhaseStarting = "waiting for the informers' caches"
	PhaseSyncing  = "syncing"
	PhaseIdle     = "idle"
	PhaseStopped  = "stopped"
)

// String summarises the status for error messages.
func (s Status) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "marker %d in force at generation %d, %d endpoints", s.Marker, s.Generation, s.Endpoints)
	if s.Phase != "" {
		fmt.Fprintf(&b, ", controller %s", s.Phase)
	}
	if len(s.Pending) > 0 {
		fmt.Fprintf(&b, ", pending: %s", strings.Join(s.Pending, "; "))
	}
	if s.Err != nil {
		fmt.Fprintf(&b, ", last sync failed: %v", s.Err)
	}
	return b.String()
}

// Status returns the current status.
func (c *Controller) Status() Status {
	c.statusMu.Lock()
	defer c.statusMu.Unlock()
	s := c.status
	s.Pending = slices.Clone(s.Pending)
	return s
}

// WaitFor blocks until done accepts the status or ctx ends; then it returns
// the last status seen, with ctx's error in the second case.
func (c *Controller) WaitFor(ctx context.Context, done func(Status) bool) (Status, error) {
	for {
		c.statusMu.Lock()
		s, changed := c.status, c.statusChanged
		c.statusMu.Unlock()
		s.Pending = slices.Clone(s.Pending)
		if done(s) {
			return s, nil
		}
		select {
		case <-ctx.Done():
			return s, ctx.Err()
		case <-changed:
		}
	}
}

// publish replaces the status and wakes every waiter.
func (c *Controller) publish(update func(*Status)) {
	c.statusMu.Lock()
	defer c.statusMu.Unlock()
	update(&c.status)
	close(c.statusChanged)
	c.statusChanged = make(chan struct{})
}

// CheckAttached asks the datapath whether the programs are still attached to
// every device it attached, when the datapath can tell: a program someone
// detached behind the controller's back enforces nothing, though the
// controller's own status still reads as in force.
func (c *Controller) CheckAttached() error {
	checker, ok := c.opts.Datapath.(interface{ CheckAttached([]int) error })
	if !ok {
		return nil
	}
	return checker.CheckAttached(c.opts.Datapath.Attached())
}
