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
	// mismatches. Simulation always explains.
	Explain bool
}

func (o Options) withDefaults() Options {
	if o.Parallel < 1 {
		o.Parallel = 1
	}
	if o.Converge <= 0 {
		o.Converge = 10 * time.Second
	}
	if o.Progress == nil {
		o.Progress = io.Discard
	}
	return o
}
