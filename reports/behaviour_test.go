package reports

import (
	"bytes"
	"strings"
	"testing"
)

func TestBehaviourObservesDenialsHairpinServicesAndPropagation(t *testing.T) {
	r := comparedRun("reference")
	st := &r.Scenarios[0].Steps[0]
	st.Cells = append(st.Cells,
		Cell{From: "x/b", To: "x/c", Port: 53, Protocol: "UDP", Expected: "blocked", Observed: "blocked", Blocked: BlockedDropped, Verdict: "pass"},
		Cell{From: "x/c", To: "x/b", Port: 53, Protocol: "UDP", Expected: "blocked", Observed: "blocked", Blocked: BlockedRefused, Verdict: "pass"})
	st.Phases, st.Converge = &StepPhases{}, 1.5
	r.Scenarios = append(r.Scenarios, ScenarioResult{Name: "two", Status: Pass, Steps: []StepResult{
		{Name: "s", Status: Pass, Converge: 3, Phases: &StepPhases{}, Blocks: map[How]int{BlockedRefused: 4}}}})

	got := map[string]Observation{}
	for _, o := range Behaviour(r) {
		got[o.Name] = o
	}
	for name, want := range map[string]string{
		"deny TCP":           "dropped",
		"deny UDP":           "mixed",
		"deny all protocols": "refused",
		"hairpin by pod IP":  "allowed",
		"propagation":        "p50 1.5s, p90 3s, max 3s",
	} {
		if got[name].Value != want {
			t.Errorf("%s = %q (%s), want %q", name, got[name].Value, got[name].Detail, want)
		}
	}
	if _, ok := got["Service traffic judged on"]; ok {
		t.Error("a run by pod IP observed Service traffic")
	}

	r.Target = "service"
	r.Scenarios[0].Steps[0].Cells[1].Verdict = "fail"
	for _, o := range Behaviour(r) {
		switch o.Name {
		case "hairpin through its own Service":
		case "Service traffic judged on":
			if o.Value != "not always the backend pod" || o.Detail != "4 of 5 cells through Services matched the verdicts for their backend pods" {
				t.Errorf("service observation %+v", o)
			}
		}
	}
	if Behaviour(&Results{Mode: modeSimulate}) != nil {
		t.Error("a simulation observed behaviour")
	}
}

func TestCompareListsBehaviourThatDiffers(t *testing.T) {
	a, b := comparedRun("reference"), comparedRun("kube-network-policies")
	b.Scenarios[0].Steps[0].Cells[0].Blocked = BlockedRefused
	c := Compare(a, "ref", b, "knp")
	if len(c.Behaviour) != 1 || c.Behaviour[0] != (BehaviourDiff{Name: "deny TCP", A: "dropped", B: "refused"}) {
		t.Errorf("behaviour diffs %+v", c.Behaviour)
	}
	var out bytes.Buffer
	if err := WriteComparison(&out, c, 0); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "deny TCP") || !strings.Contains(out.String(), "dropped | refused") {
		t.Errorf("output lacks the behaviour difference:\n%s", out.String())
	}
	// Measured figures alone do not make runs differ.
	a.Scenarios[0].Steps[0].Phases, a.Scenarios[0].Steps[0].Converge = &StepPhases{}, 1
	b = comparedRun("kube-network-policies")
	b.Scenarios[0].Steps[0].Phases, b.Scenarios[0].Steps[0].Converge = &StepPhases{}, 2
	if c := Compare(a, "ref", b, "knp"); !c.Same() || len(c.Behaviour) != 1 || !c.Behaviour[0].Measured {
		t.Errorf("runs differing in propagation only: same %v, behaviour %+v", c.Same(), c.Behaviour)
	}
}
