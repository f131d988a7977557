package runner

import (
	"io"
	"time"

	"github.com/netpolcheck/netpolcheck/clusters"
)

// Options configure a run. The zero value simulates with no cluster.
type Options struct {
	// Backend makes a cluster per scenario; nil means simulate only.
	Backend clusters.Backend
	// Parallel bounds how many scenarios run at once (default 1).
	Parallel int
	// Converge bounds how long a step may take to match after it was applied (default 10s).
	Converge time.Duration
	// ProbeTimeout bounds each probe (default probes.DefaultTimeout).
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
}

// CellDetail says which steps keep their cells in the results.
type CellDetail string

// Cell detail levels.
const (
	// CellsAuto keeps every cell unless the run has more than AutoCellsSteps
	// steps, and then keeps the cells of steps that did not pass.
	CellsAuto CellDetail = "auto"
	// CellsAll keeps every cell of every step.
	CellsAll CellDetail = "all"
	// CellsFailing keeps the cells of steps that did not pass.
	CellsFailing CellDetail = "failing"
)

// AutoCellsSteps is where CellsAuto stops keeping passing steps' cells: the
// built-in library has about 130 steps, the full generated profile thousands,
// whose every cell would make a results file of gigabytes. The decision rests
// on the number of steps planned, so it does not depend on timing.
const AutoCellsSteps = 1000

func (o Options) withDefaults() Options {
	if o.Parallel < 1 {
		o.Parallel = 1
	}
	if o.Converge <= 0 {
		o.Converge = 10 * time.Second
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
func (o Options) keepPassingCells(steps int) bool {
	switch o.Cells {
	case CellsAll:
		return true
	case CellsFailing:
		return false
	}
	return steps <= AutoCellsSteps
}
