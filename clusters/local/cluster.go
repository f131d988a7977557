package local

import (
	"context"
	"fmt"
	"net"
	"sync"

	"github.com/netpolcheck/netpolcheck/clusters"
	"github.com/netpolcheck/netpolcheck/scenarios"
)

// phase is where a Cluster is in its life: it is set up once and torn down once.
type phase int

const (
	phaseEmpty phase = iota
	phaseReady
	phaseGone
)

// Cluster is one scenario's cluster: a node namespace with a namespace per
// pod and per external host. Make one with Backend.NewCluster.
type Cluster struct {
	b        *Backend
	scenario string
	prefix   string // npc-<run>-<n>, the start of every namespace name
	node     *Node

	// mu is held for writing by Setup, Apply and Teardown and for reading by
	// Probe, so that no probe runs in a namespace being deleted.
	mu        sync.RWMutex
	phase     phase
	podCIDR   *net.IPNet
	ledger    *ledger
	nodeNS    *nodeNetns
	endpoints map[string]*endpoint
	nextIndex int
	enforcer  Enforcer
	// services are the pods' ClusterIPs with probes.TargetService among Options.Targets, nil otherwise.
	services *services
	// serveCtx bounds the probe servers: Teardown cancels it.
	serveCtx  context.Context
	stopServe context.CancelFunc
}

var (
	_ clusters.Cluster = (*Cluster)(nil)
	_ clusters.Syncer  = (*Cluster)(nil)
)

// Node describes the cluster's node to an enforcer; it is the same value the
// EnforcerFactory gets.
func (c *Cluster) Node() *Node { return c.node }

// World returns a copy of the objects the cluster holds now, with every
// change applied so far, policies and labels included.
func (c *Cluster) World() scenarios.World {
	c.mu.RLock()
	defer c.mu.RUnlock()
	if c.ledger == nil {
		return (&ledger{}).snapshot()
	}
	return c.ledger.snapshot()
}

// CheckEnforcer asks the enforcer whether it is in place, when it can tell;
// a cluster without enforcer (--enforcer none) is as it should be.
func (c *Cluster) CheckEnforcer(ctx context.Context) error {
	c.mu.RLock()
	defer c.mu.RUnlock()
	h, ok := c.enforcer.(clusters.HealthChecker)
	if !ok {
		return nil
	}
	return h.CheckEnforcer(ctx)
}

// Sync waits until the enforcer has put every applied change in force, when
// the enforcer can tell (it has a Sync method of its own). Without one the
// network part of every change is done by the time Apply returns.
func (c *Cluster) Sync(ctx context.Context) error {
	c.mu.RLock()
	defer c.mu.RUnlock()
	s, ok := c.enforcer.(clusters.Syncer)
	if !ok {
		return nil
	}
	if err := s.Sync(ctx); err != nil {
		return fmt.Errorf("sync enforcer: %w", err)
	}
	return nil
}
