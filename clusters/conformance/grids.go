package conformance

import (
	"bytes"

	"github.com/netpolcheck/netpolcheck/reports"
)

// StepReport renders one step as the terminal report does: for a failing
// step, the expected, observed and comparison grids and the wrong cells.
func StepReport(scenario string, step reports.StepResult) string {
	var buf bytes.Buffer
	r := &reports.Results{Mode: "run", Scenarios: []reports.ScenarioResult{{
		Name: scenario, Status: step.Status, Steps: []reports.StepResult{step},
	}}}
	if err := reports.WriteTerminal(&buf, r, reports.TerminalOptions{}); err != nil {
		return "render step: " + err.Error()
	}
	return buf.String()
}
