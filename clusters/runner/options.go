package runner

import (
	"io"
	"time"

	"github.com/netpolcheck/netpolcheck/clusters"
	"github.com/netpolcheck/netpolcheck/probes"
	"github.com/netpolcheck/netpolcheck/scenarios"
)

// Options configure a run. The zero value simulates with no cluster.
type Options struct {
	// Backend makes a cluster per scenario; nil means simulate only.
	Backend clusters.Backend
	// Parallel bounds how many scenarios run at once (default 1).
	Parallel int
	// Converge bounds how long a step may take to match after it was
	// applied; the backend's default when zero (clusters.Defaulter), else
	// DefaultConverge.
	Converge time.Duration
	// ProbeTimeout bounds each probe; the backend's default when zero, else
	// probes.DefaultTimeout.
	ProbeTimeout time.Duration
	// Progress receives one line per step and a summary; nil discards it.
	Progress io.Writer
	// Explain adds the oracle's explanation to every cell, not only to
	// mismatches. Simulation always explains the cells it keeps.
	Explain bool
	// Cells says which steps keep their cells in the results.
	Cells CellDetail
	// FreshClusters gives every scenario a cluster set up for it alone. By
	// default a scenario that ran to its end leaves its cluster to the next
	// scenario with the same model, which first deletes every policy and
	// restores the labels, as the upstream suite does between its tests.
	FreshClusters bool
	// DenyMustDrop fails a cell that a ClusterNetworkPolicy Deny rule
	// blocks when its probe was refused (a reset or an ICMP unreachable)
	// rather than dropped, as the network-policy-api conformance suite
	// does. NetworkPolicy's own blocks may still be refused.
	DenyMustDrop bool
	// Behaviour runs the behaviour probes (clusters/behaviour) after the
	// scenarios, on a cluster of their own, into Results.Probed.
	Behaviour bool

	// answers, when the probe timeout is the backend's own, are the run's
	// allowed answer times that an adaptive timeout is chosen from
	// (timeout.go); nil keeps ProbeTimeout for every probe.
	answers *answerTimes
}

// CellDetail says which steps keep their cells in the results.
type CellDetail string

// Cell detail levels.
const (
	// CellsAuto keeps every cell unless the run has more than AutoCells
	// cells, and then keeps the cells of steps that did not pass.
	CellsAuto CellDetail = "auto"
	// CellsAll keeps every cell of every step.
	CellsAll CellDetail = "all"
	// CellsFailing keeps the cells of steps that did not pass.
	CellsFailing CellDetail = "failing"
)

// AutoCells is where CellsAuto stops keeping passing steps' cells. Each kept
// cell costs an explanation and a few hundred bytes of results: the built-in
// library has about 30,000 cells, the full generated profile millions, and a
// 1,000-pod cluster export a million in its one step. The decision rests on
// the cells the scenarios plan, so it does not depend on timing.
const AutoCells = 200_000

// DefaultConverge is the convergence bound of a backend that names none.
const DefaultConverge = 10 * time.Second

func (o Options) withDefaults() Options {
	if o.Parallel < 1 {
		o.Parallel = 1
	}
	if d, ok := o.Backend.(clusters.Defaulter); ok {
		defaults := d.Defaults()
		if o.Converge <= 0 {
			o.Converge = defaults.Converge
		}
		if o.ProbeTimeout <= 0 {
			o.ProbeTimeout = defaults.ProbeTimeout
			if o.answers == nil {
				o.answers = &answerTimes{}
			}
		}
	}
	if o.Converge <= 0 {
		o.Converge = DefaultConverge
	}
	if o.ProbeTimeout <= 0 {
		o.ProbeTimeout = probes.DefaultTimeout
	}
	if o.Cells == "" {
		o.Cells = CellsAuto
	}
	if o.Progress == nil {
		o.Progress = io.Discard
	}
	return o
}

// keepPassingCells resolves the cell detail for a run of these scenarios.
func (o Options) keepPassingCells(scns []*scenarios.Scenario) bool {
	switch o.Cells {
	case CellsAll:
		return true
	case CellsFailing:
		return false
	}
	total := 0
	for _, s := range scns {
		total += PlannedCells(s)
		if total > AutoCells {
			return false
		}
	}
	return true
}

// PlannedCells estimates the cells a scenario's steps cover: each step's
// endpoints times its targets, from the model and the pods its steps create.
// It is exact for scenarios whose steps add no pods or namespaces.
func PlannedCells(s *scenarios.Scenario) int {
	defaults := len(s.Model.DefaultPorts)
	endpoints, targets := len(s.Model.ExternalHosts), 0
	for _, h := range s.Model.ExternalHosts {
		targets += max(len(h.Ports), defaults)
	}
	for _, ns := range s.Model.Namespaces {
		for _, p := range ns.Pods {
			endpoints++
			targets += defaults + len(p.Ports)
		}
	}
	for _, step := range s.Steps {
		for _, a := range step.Actions {
			if a.CreatePod != nil {
				endpoints++
				targets += defaults + len(a.CreatePod.Ports)
			}
		}
	}
	return endpoints * targets * len(s.Steps)
}
