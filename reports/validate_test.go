package reports

import "testing"

func TestValidate(t *testing.T) {
	run := func(cells ...Cell) *Results {
		return &Results{Mode: "run", Scenarios: []ScenarioResult{{Name: "sc", Status: Fail, Steps: []StepResult{{Name: "st", Status: Fail, Cells: cells}}}}}
	}
	simulate := func(cells ...Cell) *Results {
		r := run(cells...)
		r.Mode = "simulate"
		return r
	}
	tests := []struct {
		name    string
		results *Results
		want    string // empty: valid
	}{
		{name: "run fixture", results: runFixture()},
		{name: "simulate fixture", results: simulateFixture()},
		{name: "nil", results: nil, want: "no results"},
		{name: "no mode", results: &Results{}, want: `mode "" is not one of simulate, run`},
		{name: "no scenarios", results: &Results{Mode: "run"}},
		{name: "scenario without name", results: &Results{Mode: "run", Scenarios: []ScenarioResult{{Status: Pass}}}, want: "scenario 1: no name"},
		{name: "scenario status", results: &Results{Mode: "run", Scenarios: []ScenarioResult{{Name: "sc", Status: "passed"}}}, want: `scenario "sc": status "passed" is not one of pass, fail, error, skipped`},
		{name: "step without name", results: &Results{Mode: "run", Scenarios: []ScenarioResult{{Name: "sc", Status: Pass, Steps: []StepResult{{Status: Pass}}}}}, want: `scenario "sc": step 1: no name`},
		{name: "step status", results: &Results{Mode: "run", Scenarios: []ScenarioResult{{Name: "sc", Status: Pass, Steps: []StepResult{{Name: "st"}}}}}, want: `scenario "sc": step "st": status "" is not one of pass, fail, error, skipped`},
		{name: "run cell", results: run(runCell("x/a", "x/b", "blocked", "allowed", "fail"))},
		{name: "run cell with only a verdict", results: run(Cell{From: "x/a", To: "x/b", Port: 80, Verdict: "error"})},
		{name: "run verdict", results: run(runCell("x/a", "x/b", "blocked", "allowed", "allowed")), want: `scenario "sc": step "st": cell x/a -> x/b 80/TCP: verdict "allowed" is not one of pass, fail, error, skipped, ignored, undefined`},
		{name: "run expected", results: run(runCell("x/a", "x/b", "error", "allowed", "fail")), want: `scenario "sc": step "st": cell x/a -> x/b 80/TCP: expected "error" is not one of allowed, blocked, undefined`},
		{name: "run observed", results: run(runCell("x/a", "x/b", "allowed", "timeout", "fail")), want: `scenario "sc": step "st": cell x/a -> x/b 80/TCP: observed "timeout" is not one of allowed, blocked, error, skipped`},
		{name: "simulate cell", results: simulate(simCell("x/a", "x/b", "blocked"))},
		{name: "simulate expected", results: simulate(simCell("x/a", "x/b", "pass")), want: `scenario "sc": step "st": cell x/a -> x/b 80/TCP: expected "pass" is not one of allowed, blocked, undefined`},
		{name: "simulate without expected", results: simulate(Cell{From: "x/a", To: "x/b", Port: 80, Protocol: "TCP"}), want: `scenario "sc": step "st": cell x/a -> x/b 80/TCP: expected "" is not one of allowed, blocked, undefined`},
		{name: "simulate verdict", results: simulate(Cell{From: "x/a", To: "x/b", Port: 80, Protocol: "TCP", Expected: "allowed", Verdict: "pass"}), want: `scenario "sc": step "st": cell x/a -> x/b 80/TCP: verdict "pass", observed "" in a simulation, which observes nothing`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.results.Validate()
			got := ""
			if err != nil {
				got = err.Error()
			}
			if got != tt.want {
				t.Errorf("Validate() = %q, want %q", got, tt.want)
			}
		})
	}
}

// Results written before cells were typed carried a simulated cell's
// outcome as its verdict; they still read, as expected outcomes.
func TestReadResultsUpgradesUntypedSimulateCells(t *testing.T) {
	old := `{"mode":"simulate","scenarios":[{"name":"sc","status":"pass","steps":[{"name":"st","status":"pass","cells":[
		{"from":"x/a","to":"x/b","port":80,"protocol":"TCP","verdict":"blocked"},
		{"from":"x/b","to":"x/a","port":80,"protocol":"TCP","verdict":"undefined"}]}]}]}`
	r, err := decodeResults([]byte(old))
	if err != nil {
		t.Fatal(err)
	}
	cells := r.Scenarios[0].Steps[0].Cells
	if cells[0].Expected != OutcomeBlocked || cells[0].Verdict != "" || cells[1].Expected != OutcomeUndefined {
		t.Errorf("upgraded cells %+v", cells)
	}
	if _, err := decodeResults([]byte(`{"mode":"simulate","scenarios":[{"name":"sc","status":"pass","steps":[{"name":"st","status":"pass","cells":[{"from":"x/a","to":"x/b","port":80,"verdict":"pass"}]}]}]}`)); err == nil {
		t.Error("a simulated cell with verdict pass read as valid")
	}
}
