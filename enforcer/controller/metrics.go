package controller

import (
	"fmt"
	"sync"
	"time"

	"github.com/netpolcheck/netpolcheck/enforcer/compile"
	"github.com/netpolcheck/netpolcheck/enforcer/datapath"
)

// Metrics are the controller's counters and gauges, plain values that a
// daemon exports as it likes.
type Metrics struct {
	// Events counts informer notifications; Syncs counts compile-and-apply
	// passes, SyncErrors the ones that failed. Syncs far below Events is
	// coalescing at work.
	Events, Syncs, SyncErrors uint64
	// Drops counts drop records read from the datapath.
	Drops uint64
	// DropReaderError is why the drop reader stopped, empty while it runs.
	DropReaderError string
	// Generation is the datapath generation in force.
	Generation uint32
	// Sizes of the tables in force: local endpoints, peer and port entries,
	// and local pods the compiler had to leave out.
	Endpoints, Peers, Ports, Skipped int
	// LastSyncLatency and MaxSyncLatency run from the first event a sync
	// covered to its Apply returning.
	LastSyncLatency, MaxSyncLatency time.Duration
	// Verdicts are the datapath's counters.
	Verdicts datapath.Counters
}

// metricsState is the controller's side of Metrics, safe for the handlers,
// the worker and the drop reader at once.
type metricsState struct {
	mu         sync.Mutex
	m          Metrics
	dirtySince time.Time
}

func (s *metricsState) event(now time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.m.Events++
	if s.dirtySince.IsZero() {
		s.dirtySince = now
	}
}

// syncStarted takes the time of the oldest event the sync covers; a sync
// with none (a retry) counts from its own start.
func (s *metricsState) syncStarted(now time.Time) time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	since := s.dirtySince
	s.dirtySince = time.Time{}
	if since.IsZero() {
		since = now
	}
	return since
}

func (s *metricsState) syncEnded(now, since time.Time, t *compile.Tables, gen uint32, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.m.Syncs++
	if err != nil {
		s.m.SyncErrors++
	}
	if gen == 0 {
		return
	}
	latency := now.Sub(since)
	s.m.LastSyncLatency = latency
	s.m.MaxSyncLatency = max(s.m.MaxSyncLatency, latency)
	s.m.Generation = gen
	s.m.Endpoints, s.m.Peers, s.m.Ports, s.m.Skipped = len(t.Endpoints), len(t.Peers), len(t.Ports), len(t.Skipped)
}

func (s *metricsState) dropped() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.m.Drops++
}

func (s *metricsState) dropReaderFailed(err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.m.DropReaderError = err.Error()
}

// dropped counts a drop record and hands it on.
func (c *Controller) dropped(d datapath.Drop) {
	c.metrics.dropped()
	if c.opts.OnDrop != nil {
		c.opts.OnDrop(d)
	}
}

// Metrics returns the counters, with the datapath's verdicts read now.
func (c *Controller) Metrics() (Metrics, error) {
	verdicts, err := c.opts.Datapath.Counters()
	c.metrics.mu.Lock()
	m := c.metrics.m
	c.metrics.mu.Unlock()
	if err != nil {
		return m, fmt.Errorf("metrics: %w", err)
	}
	m.Verdicts = verdicts
	return m, nil
}
