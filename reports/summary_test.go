package reports

import (
	"reflect"
	"testing"
)

func TestSummarize(t *testing.T) {
	step := func(name string, s Status) StepResult { return StepResult{Name: name, Status: s} }
	tests := []struct {
		name      string
		scenarios []ScenarioResult
		want      Summary
	}{
		{name: "nothing", want: Summary{}},
		{
			name:      "all pass",
			scenarios: []ScenarioResult{{Name: "a", Status: Pass, Steps: []StepResult{step("1", Pass), step("2", Pass)}}},
			want:      Summary{Scenarios: Tally{Passed: 1}, Steps: Tally{Passed: 2}},
		},
		{
			name:      "a failed step names the step",
			scenarios: []ScenarioResult{{Name: "a", Status: Fail, Steps: []StepResult{step("1", Pass), step("2", Fail)}}},
			want:      Summary{Scenarios: Tally{Failed: 1}, Steps: Tally{Passed: 1, Failed: 1}, Failed: []string{"a/2"}},
		},
		{
			name:      "a failed scenario without failed steps names the scenario",
			scenarios: []ScenarioResult{{Name: "a", Status: Fail, Steps: []StepResult{step("1", Pass)}}},
			want:      Summary{Scenarios: Tally{Failed: 1}, Steps: Tally{Passed: 1}, Failed: []string{"a"}},
		},
		{
			name:      "setup error",
			scenarios: []ScenarioResult{{Name: "b", Status: Error}},
			want:      Summary{Scenarios: Tally{Errored: 1}, Errored: []string{"b"}},
		},
		{
			name:      "errored and failed steps in one scenario",
			scenarios: []ScenarioResult{{Name: "c", Status: Error, Steps: []StepResult{step("1", Fail), step("2", Error), step("3", Skipped)}}},
			want:      Summary{Scenarios: Tally{Errored: 1}, Steps: Tally{Failed: 1, Errored: 1, Skipped: 1}, Failed: []string{"c/1"}, Errored: []string{"c/2"}},
		},
		{
			name:      "skipped",
			scenarios: []ScenarioResult{{Name: "d", Status: Skipped, Steps: []StepResult{step("1", Skipped)}}},
			want:      Summary{Scenarios: Tally{Skipped: 1}, Steps: Tally{Skipped: 1}},
		},
		{
			name:      "unknown statuses count as errored",
			scenarios: []ScenarioResult{{Name: "e", Status: "odd", Steps: []StepResult{step("1", "")}}},
			want:      Summary{Scenarios: Tally{Errored: 1}, Steps: Tally{Errored: 1}, Errored: []string{"e/1"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := (&Results{Mode: "run", Scenarios: tt.scenarios}).Summarize()
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Summarize() = %+v, want %+v", got, tt.want)
			}
		})
	}
	if got := (*Results)(nil).Summarize(); !reflect.DeepEqual(got, Summary{}) {
		t.Errorf("nil Summarize() = %+v, want zero", got)
	}
	if got := (Tally{Passed: 1, Failed: 2, Errored: 3, Skipped: 4}).Total(); got != 10 {
		t.Errorf("Total() = %d, want 10", got)
	}
}
