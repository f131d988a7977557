package reports

import (
	"bytes"
	"strings"
	"testing"
)

// targetCase is a case of a run by pod IP and through Services, one cell
// each way, with the given verdicts.
func targetCase(name string, byPod, byService Status) ScenarioResult {
	status := Pass
	for _, v := range []Status{byPod, byService} {
		if v == Fail {
			status = Fail
		}
	}
	return ScenarioResult{Name: name, Status: status, Tags: []string{"direction=egress", "target=pod", "target=service"}, Steps: []StepResult{{
		Name: "deny", Status: status, Cells: []Cell{
			{From: "x/a", To: "x/b", Port: 80, Protocol: "TCP", Expected: "blocked", Observed: "blocked", Verdict: byPod},
			{From: "x/a", To: "x/b", Port: 80, Protocol: "TCP", Target: TargetService, Expected: "blocked", Observed: "allowed", Verdict: byService},
		}}}}
}

// A CNI that breaks only Service traffic shows as target=service in the
// dimension table: failed there, passed by pod IP, which is never a suspect.
func TestDimensionsLocateServiceOnlyFailures(t *testing.T) {
	r := &Results{Mode: modeRun, Target: "pod,service", Scenarios: []ScenarioResult{
		targetCase("one", "pass", "fail"), targetCase("two", "pass", "fail"),
		targetCase("three", "pass", "pass"), targetCase("four", "pass", "pass"), targetCase("five", "pass", "pass"),
	}}
	table := Dimensions(r)
	if table == nil || len(table.Dimensions) != 2 || table.Dimensions[1].Name != TargetDimension {
		t.Fatalf("dimensions %+v, want direction and target", table)
	}
	values := map[string]DimensionValue{}
	for _, v := range table.Dimensions[1].Values {
		values[v.Value] = v
	}
	if v := values["pod"]; v.Status != Pass || v.Cases.Passed != 5 {
		t.Errorf("target=pod %+v, want 5 passed: no case went wrong by pod IP", v)
	}
	if v := values["service"]; v.Status != Fail || v.Cases.Failed != 2 || v.Cases.Passed != 3 {
		t.Errorf("target=service %+v, want 2 failed, 3 passed", v)
	}
	for _, s := range table.Suspects {
		if strings.Contains(strings.Join(s.Values, "+"), "target=pod") {
			t.Errorf("suspect %v: no case went wrong by pod IP", s.Values)
		}
	}
	// Where every egress case fails through Services, egress is the
	// suspect, alone: not paired with target=pod.
	r.Scenarios = append(r.Scenarios, targetCase("six", "pass", "fail"))
	for i := range r.Scenarios[2:] {
		r.Scenarios[2+i].Tags = []string{"direction=ingress", "target=pod", "target=service"}
	}
	r.Scenarios = append(r.Scenarios, targetCase("seven", "pass", "pass"), targetCase("eight", "pass", "pass"))
	r.Scenarios[6].Tags, r.Scenarios[7].Tags = []string{"direction=ingress", "target=pod", "target=service"}, []string{"direction=ingress", "target=pod", "target=service"}
	var suspects []string
	for _, s := range Dimensions(r).Suspects {
		suspects = append(suspects, strings.Join(s.Values, "+"))
	}
	if strings.Join(suspects, " ") != "direction=egress" {
		t.Errorf("suspects %v, want direction=egress alone", suspects)
	}
}

// A step that went wrong with no wrong cell (the cluster refused a change)
// went wrong for every target.
func TestTargetCaseStatusOfAStepWithoutWrongCells(t *testing.T) {
	sc := targetCase("refused", "pass", "pass")
	sc.Status, sc.Steps[0].Status = Error, Error
	for _, target := range []string{"pod", "service"} {
		if got := targetCaseStatus(&sc, target); got != Error {
			t.Errorf("%s: %s, want error", target, got)
		}
	}
	sc = targetCase("skipped service", "pass", "skipped")
	if got := targetCaseStatus(&sc, "service"); got != Skipped {
		t.Errorf("service cells all skipped: %s, want skipped", got)
	}
}

// Grids come per port, then per target; the cell's name says the target.
func TestGridsAndNamesPerTarget(t *testing.T) {
	sc := targetCase("one", "pass", "fail")
	var ports []string
	for _, g := range stepGrids(sc.Steps[0]) {
		ports = append(ports, g.port)
		if len(g.cells) != 1 {
			t.Errorf("grid %s has %d cells, want 1", g.port, len(g.cells))
		}
	}
	if strings.Join(ports, "|") != "80/TCP|80/TCP via service" {
		t.Errorf("grids %q, want by pod IP then via service", ports)
	}
	if got := cellName(sc.Steps[0].Cells[1]); got != "x/a -> x/b 80/TCP via service" {
		t.Errorf("cellName = %q", got)
	}
	var out bytes.Buffer
	r := &Results{Mode: modeRun, Target: "pod,service", Scenarios: []ScenarioResult{sc}}
	if err := WriteTerminal(&out, r, TerminalOptions{}); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"80/TCP via service observed:", "service  FAIL"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("terminal report lacks %q:\n%s", want, out.String())
		}
	}
}

// Comparing runs compares each target with itself; cells through a target
// only one run used are counted, not compared.
func TestCompareKeepsTargetsApart(t *testing.T) {
	both := &Results{Mode: modeRun, Target: "pod,service", Scenarios: []ScenarioResult{targetCase("one", "pass", "fail")}}
	podOnly := &Results{Mode: modeRun, Target: "pod", Scenarios: []ScenarioResult{targetCase("one", "pass", "fail")}}
	podOnly.Scenarios[0].Steps[0].Cells = podOnly.Scenarios[0].Steps[0].Cells[:1]
	c := Compare(podOnly, "a", both, "b")
	if len(c.Cells) != 0 || c.CellsCompared != 1 || c.OtherTarget != 1 {
		t.Errorf("pod-only against both: %d differences, %d compared, %d other target; want 0, 1, 1", len(c.Cells), c.CellsCompared, c.OtherTarget)
	}
	fixed := &Results{Mode: modeRun, Target: "pod,service", Scenarios: []ScenarioResult{targetCase("one", "pass", "pass")}}
	fixed.Scenarios[0].Steps[0].Cells[1].Observed = "blocked"
	c = Compare(both, "a", fixed, "b")
	if len(c.Cells) != 1 || c.Cells[0].Target != TargetService || c.CellsCompared != 2 {
		t.Fatalf("differences %+v, %d compared; want the Service cell alone of 2", c.Cells, c.CellsCompared)
	}
}

// Hairpin and denials are observed per target.
func TestBehaviourPerTarget(t *testing.T) {
	sc := targetCase("one", "pass", "pass")
	st := &sc.Steps[0]
	st.Cells[1].Observed = "blocked"
	st.Cells = append(st.Cells,
		Cell{From: "x/a", To: "x/a", Port: 80, Protocol: "TCP", Expected: "blocked", Observed: "allowed", Verdict: Ignored, Loopback: true},
		Cell{From: "x/a", To: "x/a", Port: 80, Protocol: "TCP", Target: TargetService, Expected: "blocked", Observed: "blocked", Verdict: "pass", Loopback: true})
	st.Cells[0].Blocked, st.Cells[1].Blocked = BlockedDropped, BlockedRefused
	got := map[string]string{}
	for _, o := range Behaviour(&Results{Mode: modeRun, Target: "pod,service", Scenarios: []ScenarioResult{sc}}) {
		got[o.Name] = o.Value
	}
	for name, want := range map[string]string{
		"deny TCP":                        string(BlockedDropped),
		"deny TCP through Services":       string(BlockedRefused),
		"hairpin by pod IP":               "allowed",
		"hairpin through its own Service": "blocked",
		"Service traffic judged on":       "backend pod (after DNAT)",
	} {
		if got[name] != want {
			t.Errorf("%s = %q, want %q (all: %v)", name, got[name], want, got)
		}
	}
}
