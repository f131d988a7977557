package main

import (
	"sync"
	"sync/atomic"

	"github.com/netpolcheck/netpolcheck/enforcer/bpf"
	"github.com/netpolcheck/netpolcheck/enforcer/controller"
	"github.com/netpolcheck/netpolcheck/enforcer/datapath"
)

// statusSource is what the HTTP endpoints read from the controller.
type statusSource interface {
	Status() controller.Status
	Metrics() (controller.Metrics, error)
	CheckAttached() error
}

// daemonState is what the HTTP endpoints know of the daemon: nothing until
// the datapath's maps are loaded, then its controller, until it stops.
type daemonState struct {
	mu      sync.Mutex
	source  statusSource
	stopped bool

	// dropsIngress and dropsEgress count drop records by the policy
	// direction that denied.
	dropsIngress, dropsEgress atomic.Uint64
}

// loaded records that the maps are loaded and who runs them.
func (s *daemonState) loaded(src statusSource) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.source = src
}

// stop records that the datapath is being released: its maps are no longer
// this process's to read.
func (s *daemonState) stop() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.stopped = true
}

// current returns the controller, or why there is none to ask.
func (s *daemonState) current() (statusSource, string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case s.stopped:
		return nil, "stopping"
	case s.source == nil:
		return nil, "datapath maps not loaded yet"
	}
	return s.source, ""
}

// dropped counts one drop record; the controller calls it for each.
func (s *daemonState) dropped(d datapath.Drop) {
	switch d.Direction {
	case bpf.Ingress:
		s.dropsIngress.Add(1)
	case bpf.Egress:
		s.dropsEgress.Add(1)
	}
}
