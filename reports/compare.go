package reports

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
)

// Comparison sets two runs side by side: for a CNI team, a pull request's
// run against main's, or one CNI against the reference enforcer. It holds
// only what differs; two runs that agree compare to an empty Comparison
// (Same). Cells are matched by scenario, step (its position and name),
// source, destination, port and protocol, so that two runs of one library
// line up whatever cluster made them.
type Comparison struct {
	A RunSide `json:"a"`
	B RunSide `json:"b"`
	// Scenarios are the scenarios whose status differs, or that ran in one only.
	Scenarios []ScenarioDiff `json:"scenarios,omitempty"`
	// Cells are the cells whose observation (or how it was blocked) or
	// verdict differs, loopback cells aside.
	Cells []CellDiff `json:"cells,omitempty"`
	// CellsCompared counts the cells both runs have; CellsSame those that agree.
	CellsCompared int `json:"cellsCompared"`
	CellsSame     int `json:"cellsSame"`
	// LoopbackDiffering counts loopback cells observed differently: traffic
	// from a pod to itself never meets an enforcer, and upstream ignores it.
	LoopbackDiffering int `json:"loopbackDiffering,omitempty"`
	// StepsWithoutCells counts the steps of scenarios both ran that kept
	// no cells in one of the runs (--cells failing): theirs are not compared.
	StepsWithoutCells int `json:"stepsWithoutCells,omitempty"`
	// SkippedInOne counts cells one run skipped and the other did not (a
	// cluster without external hosts, without SCTP): not differences of
	// enforcement, but not compared either.
	SkippedInOne int `json:"skippedInOne,omitempty"`
	// OtherTarget counts cells dialled in a way (by pod IP, through a
	// Service) that the other run never used: not compared.
	OtherTarget int `json:"otherTarget,omitempty"`
	// Features and Dimensions are the features and the dimension values
	// ("name=value") whose status differs.
	Features   []StatusDiff `json:"features,omitempty"`
	Dimensions []StatusDiff `json:"dimensions,omitempty"`
	// Behaviour are the observations (see Behaviour) whose values differ;
	// measured figures are listed but do not make the runs differ.
	Behaviour []BehaviourDiff `json:"behaviour,omitempty"`
}

// BehaviourDiff is one observation in both runs; a value is empty where
// the run did not observe it.
type BehaviourDiff struct {
	Name     string `json:"name"`
	A        string `json:"a,omitempty"`
	B        string `json:"b,omitempty"`
	Measured bool   `json:"measured,omitempty"`
}

// RunSide says what one compared run was.
type RunSide struct {
	Label    string  `json:"label"`
	Cluster  string  `json:"cluster,omitempty"`
	Enforcer string  `json:"enforcer,omitempty"`
	Target   string  `json:"target,omitempty"`
	Version  string  `json:"version,omitempty"`
	Duration Seconds `json:"durationSeconds"`
	// Scenarios counts its scenarios by status.
	Scenarios Tally `json:"scenarios"`
}

// ScenarioDiff is a scenario whose status differs; a status is empty on
// the side that did not run it.
type ScenarioDiff struct {
	Name string `json:"name"`
	A    Status `json:"a,omitempty"`
	B    Status `json:"b,omitempty"`
}

// CellDiff is one cell the runs disagree on.
type CellDiff struct {
	Scenario string `json:"scenario"`
	Step     string `json:"step"`
	From     string `json:"from"`
	To       string `json:"to"`
	Port     int32  `json:"port"`
	Protocol string `json:"protocol"`
	// Target is "service" for a cell dialled through a Service.
	Target   string `json:"target,omitempty"`
	Expected string `json:"expected,omitempty"`
	A        Seen   `json:"a"`
	B        Seen   `json:"b"`
}

// Seen is one run's account of a cell.
type Seen struct {
	Observed Outcome `json:"observed,omitempty"`
	Blocked  How     `json:"blocked,omitempty"`
	Verdict  Status  `json:"verdict"`
}

// String is the observation as reports word it: "blocked (refused)".
func (s Seen) String() string {
	o := cmp.Or(string(s.Observed), "-")
	if s.Blocked != "" {
		o += " (" + string(s.Blocked) + ")"
	}
	return o + ", " + string(s.Verdict)
}

// StatusDiff is a feature or dimension value whose status differs.
type StatusDiff struct {
	Name string `json:"name"`
	A    Status `json:"a,omitempty"`
	B    Status `json:"b,omitempty"`
}

// Same says the runs agree on everything compared.
func (c *Comparison) Same() bool {
	return len(c.Scenarios) == 0 && len(c.Cells) == 0 && len(c.Features) == 0 && len(c.Dimensions) == 0 &&
		!slices.ContainsFunc(c.Behaviour, func(d BehaviourDiff) bool { return !d.Measured })
}

// Compare sets run a (labelled la) beside run b (lb).
func Compare(a *Results, la string, b *Results, lb string) *Comparison {
	c := &Comparison{A: sideOf(a, la), B: sideOf(b, lb)}
	c.compareScenarios(a, b)
	c.compareCells(a, b)
	c.Features = diffStatuses(featureStatuses(a), featureStatuses(b))
	c.Dimensions = diffStatuses(dimensionStatuses(a), dimensionStatuses(b))
	c.Behaviour = diffBehaviour(Behaviour(a), Behaviour(b))
	return c
}

// diffBehaviour pairs the runs' observations by name and keeps those whose
// values differ, and every measured one (figures are always worth seeing
// side by side).
func diffBehaviour(a, b []Observation) []BehaviourDiff {
	var out []BehaviourDiff
	index := map[string]int{}
	for _, o := range a {
		index[o.Name] = len(out)
		out = append(out, BehaviourDiff{Name: o.Name, A: o.Value, Measured: o.Measured})
	}
	for _, o := range b {
		if i, ok := index[o.Name]; ok {
			out[i].B = o.Value
			continue
		}
		out = append(out, BehaviourDiff{Name: o.Name, B: o.Value, Measured: o.Measured})
	}
	return slices.DeleteFunc(out, func(d BehaviourDiff) bool { return d.A == d.B && !d.Measured })
}

func sideOf(r *Results, label string) RunSide {
	return RunSide{Label: label, Cluster: r.Cluster, Enforcer: r.Enforcer, Target: r.Target, Version: r.Version,
		Duration: r.Duration, Scenarios: r.Summarize().Scenarios}
}

func (c *Comparison) compareScenarios(a, b *Results) {
	statuses := map[string]*ScenarioDiff{}
	var order []string
	note := func(r *Results, set func(*ScenarioDiff, Status)) {
		for _, s := range r.Scenarios {
			d, ok := statuses[s.Name]
			if !ok {
				d = &ScenarioDiff{Name: s.Name}
				statuses[s.Name] = d
				order = append(order, s.Name)
			}
			set(d, s.Status)
		}
	}
	note(a, func(d *ScenarioDiff, s Status) { d.A = s })
	note(b, func(d *ScenarioDiff, s Status) { d.B = s })
	for _, name := range order {
		if d := statuses[name]; d.A != d.B {
			c.Scenarios = append(c.Scenarios, *d)
		}
	}
}

// cellID names a cell across runs.
type cellID struct {
	scenario, step, from, to string
	port                     int32
	protocol                 string
	target                   string // Results.CellTarget
}

// cellIndex indexes a run's cells; order keeps the run's own order, and
// targets are the targets the run dialled through.
func cellIndex(r *Results) (map[cellID]Cell, []cellID, map[string]bool) {
	cells := map[cellID]Cell{}
	targets := map[string]bool{}
	for _, t := range strings.Split(cmp.Or(r.Target, TargetPod), ",") {
		targets[t] = true
	}
	var order []cellID
	for _, s := range r.Scenarios {
		for i, st := range s.Steps {
			step := fmt.Sprintf("%d %s", i+1, st.Name)
			for _, cell := range st.Cells {
				id := cellID{s.Name, step, cell.From, cell.To, cell.Port, cell.Protocol, r.CellTarget(cell)}
				if _, dup := cells[id]; !dup {
					order = append(order, id)
				}
				cells[id] = cell
			}
		}
	}
	return cells, order, targets
}

func (c *Comparison) compareCells(a, b *Results) {
	bCells, bOrder, bTargets := cellIndex(b)
	aCells, order, aTargets := cellIndex(a)
	inBoth := scenariosInBoth(a, b)
	diff := func(id cellID, expected string, sx, sy Seen) {
		target := id.target
		if target == TargetPod {
			target = ""
		}
		c.Cells = append(c.Cells, CellDiff{Scenario: id.scenario, Step: id.step, From: id.from, To: id.to,
			Port: id.port, Protocol: id.protocol, Target: target, Expected: expected, A: sx, B: sy})
	}
	for _, id := range order {
		x := aCells[id]
		if !bTargets[id.target] {
			c.OtherTarget++
			continue
		}
		y, ok := bCells[id]
		if !ok {
			// A scenario both ran that lacks the cell in B changed its
			// model or steps: that is a difference, not a gap.
			if inBoth[id.scenario] && !c.omitted(b, id) {
				diff(id, string(x.Expected), seen(x), absent)
			}
			continue
		}
		c.CellsCompared++
		sx, sy := seen(x), seen(y)
		switch {
		case x.Expected != y.Expected:
			// The oracles of the two versions disagree.
			diff(id, string(x.Expected+" | "+y.Expected), sx, sy)
		case sx == sy:
			c.CellsSame++
		case x.Verdict == Skipped || y.Verdict == Skipped:
			c.SkippedInOne++
		case x.Loopback || y.Loopback:
			c.LoopbackDiffering++
		default:
			diff(id, string(cmp.Or(x.Expected, y.Expected)), sx, sy)
		}
	}
	for _, id := range bOrder {
		if !aTargets[id.target] {
			c.OtherTarget++
			continue
		}
		if _, ok := aCells[id]; !ok && inBoth[id.scenario] && !c.omitted(a, id) {
			diff(id, string(bCells[id].Expected), absent, seen(bCells[id]))
		}
	}
	c.StepsWithoutCells = stepsWithoutCells(a, inBoth) + stepsWithoutCells(b, inBoth)
}

// absent stands for a cell a run does not have.
var absent = Seen{Verdict: notInRun}

// notInRun is the verdict of a cell one of two compared runs lacks.
const notInRun Status = "not in this run"

// scenariosInBoth names the scenarios both runs have.
func scenariosInBoth(a, b *Results) map[string]bool {
	inA := map[string]bool{}
	for _, s := range a.Scenarios {
		inA[s.Name] = true
	}
	both := map[string]bool{}
	for _, s := range b.Scenarios {
		if inA[s.Name] {
			both[s.Name] = true
		}
	}
	return both
}

// omitted says whether r kept no cells for the step of id (--cells
// failing, or a step that did not run), so its absence says nothing.
func (c *Comparison) omitted(r *Results, id cellID) bool {
	for _, s := range r.Scenarios {
		if s.Name != id.scenario {
			continue
		}
		for i, st := range s.Steps {
			if fmt.Sprintf("%d %s", i+1, st.Name) == id.step {
				return st.CellsOmitted || len(st.Cells) == 0
			}
		}
		return true // the step did not run
	}
	return true
}

// stepsWithoutCells counts the steps of scenarios both ran that kept none.
func stepsWithoutCells(r *Results, inBoth map[string]bool) int {
	n := 0
	for _, s := range r.Scenarios {
		if !inBoth[s.Name] {
			continue
		}
		for _, st := range s.Steps {
			if st.CellsOmitted {
				n++
			}
		}
	}
	return n
}

func seen(c Cell) Seen { return Seen{Observed: c.Observed, Blocked: c.Blocked, Verdict: c.Verdict} }

// namedStatus is one feature's or dimension value's status, in report order.
type namedStatus struct {
	name   string
	status Status
}

func featureStatuses(r *Results) []namedStatus {
	var out []namedStatus
	for _, f := range Features(r) {
		out = append(out, namedStatus{f.Name, f.Status})
	}
	return out
}

func dimensionStatuses(r *Results) []namedStatus {
	var out []namedStatus
	if t := Dimensions(r); t != nil {
		for _, d := range t.Dimensions {
			for _, v := range d.Values {
				out = append(out, namedStatus{d.Name + "=" + v.Value, v.Status})
			}
		}
	}
	return out
}

// diffStatuses lists the names whose status differs, a's order first; a
// name one side lacks has an empty status there.
func diffStatuses(a, b []namedStatus) []StatusDiff {
	bs := map[string]Status{}
	for _, s := range b {
		bs[s.name] = s.status
	}
	var out []StatusDiff
	seenNames := map[string]bool{}
	for _, s := range a {
		seenNames[s.name] = true
		if bs[s.name] != s.status {
			out = append(out, StatusDiff{Name: s.name, A: s.status, B: bs[s.name]})
		}
	}
	for _, s := range b {
		if !seenNames[s.name] {
			out = append(out, StatusDiff{Name: s.name, B: s.status})
		}
	}
	return slices.Clip(out)
}

// Common narrows two runs to what both have: the scenarios both ran (by
// name) and the behaviour probes both made, so that a run of a selection
// compares with a run of the whole library, or a run without behaviour
// probes with one with them. The results given are not changed.
func Common(a, b *Results) (*Results, *Results) {
	in := func(r *Results) map[string]bool {
		names := map[string]bool{}
		for _, s := range r.Scenarios {
			names[s.Name] = true
		}
		return names
	}
	probed := func(r *Results) map[string]bool {
		names := map[string]bool{}
		for _, o := range r.Probed {
			names[o.Name] = true
		}
		return names
	}
	narrow := func(r *Results, scenarios, observations map[string]bool) *Results {
		out := *r
		out.Scenarios = slices.DeleteFunc(slices.Clone(r.Scenarios), func(s ScenarioResult) bool { return !scenarios[s.Name] })
		out.Probed = slices.DeleteFunc(slices.Clone(r.Probed), func(o Observation) bool { return !observations[o.Name] })
		return &out
	}
	sa, sb, pa, pb := in(a), in(b), probed(a), probed(b)
	return narrow(a, sb, pb), narrow(b, sa, pa)
}
