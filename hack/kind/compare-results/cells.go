package main

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/netpolcheck/netpolcheck/reports"
)

// cellKey names one cell of one step of one scenario.
type cellKey struct {
	scenario, step, from, to string
	port                     int32
	protocol                 string
	target                   string // reports.Results.CellTarget
}

func (k cellKey) String() string {
	s := fmt.Sprintf("%s / %s: %s -> %s %d/%s", k.scenario, k.step, k.from, k.to, k.port, k.protocol)
	if k.target != reports.TargetPod {
		s += " via " + k.target
	}
	return s
}

// as is the same cell dialled through target.
func (k cellKey) as(target string) cellKey {
	k.target = target
	return k
}

// targetsOf are the targets a run dialled through.
func targetsOf(r *reports.Results) []string {
	if r.Target == "" {
		return []string{reports.TargetPod}
	}
	return strings.Split(r.Target, ",")
}

// external is true for an endpoint that is an external host: pods are "ns/pod".
func (k cellKey) external() bool {
	return !strings.Contains(k.from, "/") || !strings.Contains(k.to, "/")
}

// cellsOf indexes every cell of a run. Steps that dropped their cells
// (--cells) cannot be compared, so they are problems.
func cellsOf(r *reports.Results, which string) (map[cellKey]reports.Cell, []string) {
	cells := map[cellKey]reports.Cell{}
	var problems []string
	for _, s := range r.Scenarios {
		for i, st := range s.Steps {
			step := fmt.Sprintf("%d %s", i+1, st.Name)
			if st.CellsOmitted {
				problems = append(problems, fmt.Sprintf("%s: %s / %s kept no cells", which, s.Name, step))
			}
			for _, c := range st.Cells {
				cells[cellKey{s.Name, step, c.From, c.To, c.Port, c.Protocol, r.CellTarget(c)}] = c
			}
		}
	}
	return cells, problems
}

// sortedKeys orders cells for stable output.
func sortedKeys(cells map[cellKey]reports.Cell) []cellKey {
	keys := make([]cellKey, 0, len(cells))
	for k := range cells {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return keys[i].String() < keys[j].String() })
	return keys
}

// comparison counts what compareSame saw.
type comparison struct {
	cells, same, externalSkipped, loopback int
	// notRun counts the first run's cells of scenarios a subset run left out.
	notRun int
}

func (c comparison) String() string {
	s := fmt.Sprintf("%d cells: %d with the same expected and observed verdicts, %d skipped by the second run for want of external hosts, %d loopback cells observed differently (ignored, as upstream does)",
		c.cells, c.same, c.externalSkipped, c.loopback)
	if c.notRun > 0 {
		s += fmt.Sprintf("; %d cells of scenarios the second run did not select", c.notRun)
	}
	return s
}

// compareSame wants both runs to have the same cells with the same expected
// and observed verdicts. Loopback cells carry no verdict: traffic from a pod
// to itself never meets an enforcer, and a loaded pod answering itself after
// the probe timeout is seen as blocked in one run and allowed in the other.
//
// The second run may dial through targets the first did not (Services,
// where the first dialled pod IPs): its cells of such a target must then
// match the first run's by pod IP, so that an enforcer is seen to judge
// translated traffic as it judges the pod's own address. Cells of external
// hosts exist by IP alone.
//
// With subset, the second run selected some of the first run's scenarios
// (--focus, --tags): the first run's other scenarios are left out, but the
// second must have run at least one.
func compareSame(a, b *reports.Results, externalSkipped, subset bool) (comparison, []string) {
	ac, problems := cellsOf(a, "first run")
	bc, more := cellsOf(b, "second run")
	problems = append(problems, more...)
	ran := map[string]bool{}
	for _, s := range b.Scenarios {
		ran[s.Name] = true
	}
	if subset && len(ran) == 0 {
		problems = append(problems, "the second run ran no scenario")
	}
	aTargets := targetsOf(a)
	// counterpart is the first run's cell a second-run cell answers to.
	counterpart := func(k cellKey) cellKey {
		if slices.Contains(aTargets, k.target) {
			return k
		}
		return k.as(reports.TargetPod)
	}
	var c comparison
	for _, k := range sortedKeys(ac) {
		if subset && !ran[k.scenario] {
			c.notRun++
			continue
		}
		for _, t := range targetsOf(b) {
			if (t != reports.TargetPod && k.external()) || counterpart(k.as(t)) != k {
				continue
			}
			if _, ok := bc[k.as(t)]; !ok {
				problems = append(problems, k.as(t).String()+": only in the first run")
			}
		}
	}
	for _, k := range sortedKeys(bc) {
		y := bc[k]
		x, ok := ac[counterpart(k)]
		if !ok {
			problems = append(problems, k.String()+": only in the second run")
			continue
		}
		c.cells++
		switch {
		case x.Expected != y.Expected:
			problems = append(problems, fmt.Sprintf("%s: expected %s, then %s", k, x.Expected, y.Expected))
		case x.Observed == y.Observed:
			c.same++
		case externalSkipped && k.external() && y.Observed == reports.OutcomeSkipped:
			c.externalSkipped++
		case x.Loopback && y.Loopback:
			c.loopback++
		default:
			problems = append(problems, fmt.Sprintf("%s: observed %s (%s), then %s (%s)", k, x.Observed, x.Detail, y.Observed, y.Detail))
		}
	}
	return c, problems
}

// noEnforcerCheck counts what checkNoEnforcer saw.
type noEnforcerCheck struct {
	cells, mismatches, passed, ignored, skipped, undefined int
}

func (c noEnforcerCheck) String() string {
	return fmt.Sprintf("%d cells: %d expected blocked and observed allowed (all of them), %d passed, %d loopback ignored, %d skipped, %d undefined and allowed",
		c.cells, c.mismatches, c.passed, c.ignored, c.skipped, c.undefined)
}

// checkNoEnforcer wants the mismatches of a run without enforcer to be
// exactly the cells the oracle blocks: nothing blocks them there.
func checkNoEnforcer(r *reports.Results) (noEnforcerCheck, []string) {
	cells, problems := cellsOf(r, "run")
	for _, s := range r.Scenarios {
		if s.Status == reports.Error {
			problems = append(problems, fmt.Sprintf("%s: errored: %s", s.Name, s.Error))
		}
	}
	var c noEnforcerCheck
	for _, k := range sortedKeys(cells) {
		cell := cells[k]
		c.cells++
		switch {
		case cell.Verdict == reports.Skipped:
			c.skipped++
		case cell.Loopback && (cell.Verdict == reports.Ignored || cell.Verdict == reports.Pass):
			// A pod reaching itself meets no enforcer, and through its own
			// Service the network's hairpin decides (kind's none cluster
			// drops it): upstream ignores loopback, and so does this check.
			c.ignored++
		case cell.Expected == reports.OutcomeBlocked && cell.Verdict == reports.Fail && cell.Observed == reports.OutcomeAllowed:
			c.mismatches++
		case cell.Expected == reports.OutcomeAllowed && cell.Verdict == reports.Pass:
			c.passed++
		case cell.Verdict == reports.Undefined && cell.Observed == reports.OutcomeAllowed:
			// The API leaves these open; without an enforcer nothing blocks them.
			c.undefined++
		default:
			problems = append(problems, fmt.Sprintf("%s: expected %s, observed %s, verdict %s (%s)", k, cell.Expected, cell.Observed, cell.Verdict, cell.Detail))
		}
	}
	if c.mismatches == 0 {
		problems = append(problems, "no cell is expected blocked: the run tested nothing an enforcer does")
	}
	return c, problems
}
