package reports

import (
	"errors"
	"fmt"
	"slices"
	"strings"
)

// Validate reports the first value that no netpolcheck run writes: an unknown
// mode, status, verdict or outcome, or a scenario or step without a name.
// Renderers accept anything; ReadResults uses Validate so that a file that was
// not written by netpolcheck is rejected with a precise message instead of
// rendered into a misleading report.
func (r *Results) Validate() error {
	if r == nil {
		return errors.New("no results")
	}
	if err := oneOf("mode", r.Mode, modeSimulate, modeRun); err != nil {
		return err
	}
	for i, sc := range r.Scenarios {
		if err := validateScenario(r.Mode, sc); err != nil {
			if sc.Name == "" {
				return fmt.Errorf("scenario %d: %w", i+1, err)
			}
			return fmt.Errorf("scenario %q: %w", sc.Name, err)
		}
	}
	return nil
}

// statuses are the values of Status, for messages and checks.
var statuses = []Status{Pass, Fail, Error, Skipped}

// validateScenario checks one scenario and its steps.
func validateScenario(mode string, sc ScenarioResult) error {
	if sc.Name == "" {
		return errors.New("no name")
	}
	if err := oneOf("status", sc.Status, statuses...); err != nil {
		return err
	}
	for i, st := range sc.Steps {
		if err := validateStep(mode, st); err != nil {
			if st.Name == "" {
				return fmt.Errorf("step %d: %w", i+1, err)
			}
			return fmt.Errorf("step %q: %w", st.Name, err)
		}
	}
	return nil
}

// validateStep checks one step and its cells against the mode's vocabulary.
func validateStep(mode string, st StepResult) error {
	if st.Name == "" {
		return errors.New("no name")
	}
	if err := oneOf("status", st.Status, statuses...); err != nil {
		return err
	}
	for _, c := range st.Cells {
		if err := validateCell(mode, c); err != nil {
			return fmt.Errorf("cell %s: %w", cellName(c), err)
		}
	}
	return nil
}

// validateCell checks that a cell uses the values of its mode: an expected
// outcome alone in simulate; in run, a verdict, with the outcomes it rests on.
func validateCell(mode string, c Cell) error {
	if err := oneOf("expected", c.Expected, OutcomeAllowed, OutcomeBlocked, OutcomeUndefined); err != nil {
		if mode == modeSimulate || c.Expected != "" {
			return err
		}
	}
	if mode == modeSimulate {
		if c.Verdict != "" || c.Observed != "" {
			return fmt.Errorf("verdict %q, observed %q in a simulation, which observes nothing", c.Verdict, c.Observed)
		}
		return nil
	}
	if err := oneOf("verdict", c.Verdict, append(slices.Clone(statuses), Ignored, Undefined)...); err != nil {
		return err
	}
	if c.Observed != "" {
		if err := oneOf("observed", c.Observed, OutcomeAllowed, OutcomeBlocked, OutcomeError, OutcomeSkipped); err != nil {
			return err
		}
	}
	if c.Blocked != "" {
		if c.Observed != OutcomeBlocked {
			return fmt.Errorf("blocked %q on a cell observed %q", c.Blocked, c.Observed)
		}
		return oneOf("blocked", c.Blocked, BlockedDropped, BlockedRefused, BlockedUnresolved)
	}
	return nil
}

// oneOf fails unless value is one of allowed.
func oneOf[T ~string](what string, value T, allowed ...T) error {
	if slices.Contains(allowed, value) {
		return nil
	}
	words := make([]string, len(allowed))
	for i, a := range allowed {
		words[i] = string(a)
	}
	return fmt.Errorf("%s %q is not one of %s", what, value, strings.Join(words, ", "))
}
