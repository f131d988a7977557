package reports

import (
	"bytes"
	"strings"
	"testing"
)

func TestRunTiming(t *testing.T) {
	if tm := RunTiming(&Results{Mode: modeSimulate, Scenarios: []ScenarioResult{{Name: "a", Steps: []StepResult{{Name: "s"}}}}}); tm != nil {
		t.Errorf("simulate results have timing %+v", tm)
	}
	r := &Results{Mode: modeRun, Scenarios: []ScenarioResult{
		{Name: "a", Setup: 2, Teardown: 1, Steps: []StepResult{
			{Name: "s1", Phases: &StepPhases{Apply: 0.5, Sync: 0.25, Rounds: []Round{{Seconds: 1, Cells: 10, TimedOut: 4}}}},
			{Name: "s2", Phases: &StepPhases{Apply: 0.5, Rounds: []Round{{Seconds: 3, Cells: 10, TimedOut: 2}, {Seconds: 1, Cells: 2}}, Backoff: 0.25}},
		}},
		{Name: "b", Setup: 4, Steps: []StepResult{{Name: "s", Phases: &StepPhases{Apply: 1, Check: 0.5, Rounds: []Round{{Seconds: 0.5, Cells: 3}}}}}},
	}}
	tm := RunTiming(r)
	if tm == nil {
		t.Fatal("no timing")
	}
	if tm.Setup != 6 || tm.Teardown != 1 || tm.Apply != 2 || tm.Sync != 0.25 || tm.Check != 0.5 || tm.Probe != 5.5 || tm.Backoff != 0.25 {
		t.Errorf("sums %+v", tm)
	}
	if tm.Steps != 3 || tm.Rounds != 4 || tm.Probes != 25 || tm.TimedOut != 6 {
		t.Errorf("counts: %d steps, %d rounds, %d probes, %d timed out", tm.Steps, tm.Rounds, tm.Probes, tm.TimedOut)
	}
	var order []string
	for _, s := range tm.Slowest {
		order = append(order, s.Scenario+"/"+s.Step)
	}
	if strings.Join(order, " ") != "a/s2 b/s a/s1" {
		t.Errorf("slowest %v, want a/s2 (4.75s), b/s (2s), a/s1 (1.75s)", order)
	}
	var out bytes.Buffer
	if err := WriteTerminal(&out, r, TerminalOptions{}); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"time, summed over scenarios: setup 6.00s, apply 2.00s, enforcer sync 0.25s, checks 0.50s, probing 5.50s in 4 rounds (25 probes, 6 waited out their timeout), between rounds 0.25s, teardown 1.00s",
		"  a/s2: 4.75s (apply 0.50s, sync 0.00s, probing 4.00s in 2 rounds, between rounds 0.25s)",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("terminal report lacks %q:\n%s", want, out.String())
		}
	}
}
