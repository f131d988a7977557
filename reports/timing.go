package reports

import (
	"cmp"
	"fmt"
	"slices"
	"time"
)

// Timing sums where a run's time went, over every scenario and step: the
// setup and teardown of clusters, and each step's phases. The sums are of
// work done in parallel, so they may exceed the run's own duration.
type Timing struct {
	Setup    Seconds `json:"setupSeconds"`
	Teardown Seconds `json:"teardownSeconds"`
	Apply    Seconds `json:"applySeconds"`
	Sync     Seconds `json:"syncSeconds"`
	Check    Seconds `json:"checkSeconds"`
	Probe    Seconds `json:"probeSeconds"`
	Backoff  Seconds `json:"backoffSeconds"`
	Steps    int     `json:"steps"`
	Rounds   int     `json:"rounds"`
	Probes   int     `json:"probes"`
	TimedOut int     `json:"timedOut"`
	// ShortestTimeout and LongestTimeout bound the rounds' probe timeouts:
	// apart where the runner chose them from the answers it saw (an
	// adaptive timeout), zero in results written before rounds recorded it.
	ShortestTimeout Seconds `json:"shortestTimeoutSeconds,omitempty"`
	LongestTimeout  Seconds `json:"longestTimeoutSeconds,omitempty"`
	// Slowest are the steps that took longest, apply to last round, most first.
	Slowest []StepTime `json:"slowest"`
}

// StepTime is one step's time and where it went.
type StepTime struct {
	Scenario string     `json:"scenario"`
	Step     string     `json:"step"`
	Seconds  Seconds    `json:"seconds"`
	Phases   StepPhases `json:"phases"`
}

// slowestShown is how many of the slowest steps reports name.
const slowestShown = 5

// RunTiming sums r's phases; nil when no step recorded any (simulate, or
// results written before phases existed).
func RunTiming(r *Results) *Timing {
	t := &Timing{}
	for _, sc := range r.Scenarios {
		t.Setup += sc.Setup
		t.Teardown += sc.Teardown
		for _, st := range sc.Steps {
			p := st.Phases
			if p == nil {
				continue
			}
			t.Steps++
			t.Apply += p.Apply
			t.Sync += p.Sync
			t.Check += p.Check
			t.Probe += p.Probe()
			t.Backoff += p.Backoff
			t.Rounds += len(p.Rounds)
			for _, round := range p.Rounds {
				t.Probes += round.Cells
				t.TimedOut += round.TimedOut
				if round.Timeout > 0 && (t.ShortestTimeout == 0 || round.Timeout < t.ShortestTimeout) {
					t.ShortestTimeout = round.Timeout
				}
				t.LongestTimeout = max(t.LongestTimeout, round.Timeout)
			}
			t.Slowest = append(t.Slowest, StepTime{Scenario: sc.Name, Step: st.Name, Seconds: p.total(), Phases: *p})
		}
	}
	if t.Steps == 0 {
		return nil
	}
	slices.SortStableFunc(t.Slowest, func(a, b StepTime) int { return cmp.Compare(b.Seconds, a.Seconds) })
	t.Slowest = t.Slowest[:min(len(t.Slowest), slowestShown)]
	return t
}

// Timeouts says what the rounds' probe timeouts were: one value, or the
// range an adaptive timeout took; "" when the results do not say.
func (t *Timing) Timeouts() string {
	switch {
	case t.LongestTimeout == 0:
		return ""
	case t.ShortestTimeout == t.LongestTimeout:
		return fmt.Sprintf("probe timeout %s", t.LongestTimeout.duration())
	}
	return fmt.Sprintf("probe timeouts %s to %s, chosen from the answers seen", t.ShortestTimeout.duration(), t.LongestTimeout.duration())
}

// duration rounds s to the millisecond, for a reader.
func (s Seconds) duration() time.Duration {
	return time.Duration(float64(s) * float64(time.Second)).Round(time.Millisecond)
}

// total is the step's time from its first change to its last probe.
func (p *StepPhases) total() Seconds { return p.Apply + p.Sync + p.Check + p.Probe() + p.Backoff }
