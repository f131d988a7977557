package main

import (
	"cmp"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
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
	// tierDrops counts the drop records of rule sets flattened from
	// ClusterNetworkPolicy tiers by what denied: one series per rule.
	tierMu    sync.Mutex
	tierDrops map[tierDrop]uint64
}

// tierDrop is what denied a packet under the tiers: a cluster policy rule,
// or NetworkPolicy isolation (tier NetworkPolicy, no policy).
type tierDrop struct {
	tier, policy, direction, rule string
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
	if d.Reason != bpf.ReasonTier {
		return
	}
	key := tierDrop{tier: "NetworkPolicy", direction: strings.ToLower(d.Direction.String())}
	if d.Rule != nil {
		key.tier, key.policy, key.rule = d.Rule.Tier, d.Rule.Policy, strconv.Itoa(d.Rule.Rule)
	} else if d.RuleNumber != 0 {
		key.tier, key.rule = "unknown", strconv.FormatUint(uint64(d.RuleNumber), 10)
	}
	s.tierMu.Lock()
	defer s.tierMu.Unlock()
	if s.tierDrops == nil {
		s.tierDrops = map[tierDrop]uint64{}
	}
	s.tierDrops[key]++
}

// tierSamples are the tier drop counts as metric samples, in a stable order.
func (s *daemonState) tierSamples() []sample {
	s.tierMu.Lock()
	defer s.tierMu.Unlock()
	keys := slices.Collect(maps.Keys(s.tierDrops))
	slices.SortFunc(keys, func(a, b tierDrop) int {
		return cmp.Or(cmp.Compare(a.tier, b.tier), cmp.Compare(a.policy, b.policy), cmp.Compare(a.direction, b.direction), cmp.Compare(a.rule, b.rule))
	})
	out := make([]sample, 0, len(keys))
	for _, k := range keys {
		out = append(out, labelled(fmt.Sprintf(`tier=%q,policy=%q,direction=%q,rule=%q`, k.tier, k.policy, k.direction, k.rule), integer(s.tierDrops[k])))
	}
	return out
}
