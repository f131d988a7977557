package scenarios

import "fmt"

// Validate checks a scenario fully without a cluster: its shape, its model,
// and every step, by simulating the steps with deterministic addresses and
// compiling each expectation against the world it follows. Errors are Errors
// of InputErrors with field paths ("steps[1].actions[0].apply.spec...").
func (s *Scenario) Validate() error {
	errs := s.validate()
	for _, e := range errs {
		if e.File == "" {
			e.File = s.File
		}
	}
	return errs.orNil()
}

func (s *Scenario) validate() Errors {
	var errs Errors
	if s.Name == "" {
		errs = append(errs, fieldErr("name", "required"))
	}
	if len(s.Steps) == 0 {
		errs = append(errs, fieldErr("steps", "required: a scenario has at least one step"))
	}
	first := map[string]int{}
	for i, step := range s.Steps {
		at := joinPath(indexPath("steps", i), "name")
		if step.Name == "" {
			errs = append(errs, fieldErr(at, "required"))
			continue
		}
		if j, dup := first[step.Name]; dup {
			errs = append(errs, fieldErr(at, fmt.Sprintf("duplicate step name %q (also steps[%d])", step.Name, j)))
			continue
		}
		first[step.Name] = i
	}
	st, err := NewState(s)
	if err != nil {
		return append(errs, asErrors(err)...)
	}
	return append(errs, st.simulate(s.Steps)...)
}

// simulate resolves and commits every action and compiles every expectation.
// It stops after the first step with errors: later steps would be checked
// against a world that the faulty step did not build.
func (st *State) simulate(steps []Step) Errors {
	for i, step := range steps {
		at := indexPath("steps", i)
		var errs Errors
		for j, a := range step.Actions {
			aat := indexPath(joinPath(at, "actions"), j)
			c, err := st.Resolve(a)
			if err == nil {
				err = st.Commit(c)
			}
			errs = append(errs, prefixed(aat, asErrors(err))...)
		}
		if step.Expect != nil && len(errs) == 0 {
			_, err := CompileExpectation(step.Expect, st.World())
			errs = append(errs, prefixed(joinPath(at, "expect"), asErrors(err))...)
		}
		if len(errs) > 0 {
			return errs
		}
	}
	return nil
}
