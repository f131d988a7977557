package scenarios

import (
	"fmt"
	"strconv"
	"unicode"
	"unicode/utf8"
)

// maxTextName bounds scenario, step and tag names, which end up in file
// names, JUnit attributes and terminal lines.
const maxTextName = 253

// textProblem checks a scenario, step or tag name: required, UTF-8, without
// control characters (a NUL or an escape sequence would corrupt JUnit XML
// and terminals), at most maxTextName bytes.
func textProblem(name string) string {
	switch {
	case name == "":
		return "required"
	case !utf8.ValidString(name):
		return fmt.Sprintf("invalid name %s: not valid UTF-8", strconv.QuoteToASCII(name))
	case len(name) > maxTextName:
		return fmt.Sprintf("invalid name: %d bytes long, at most %d", len(name), maxTextName)
	}
	for _, r := range name {
		if unicode.IsControl(r) {
			return fmt.Sprintf("invalid name %s: contains the control character %U", strconv.QuoteToASCII(name), r)
		}
	}
	return ""
}

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
	if msg := textProblem(s.Name); msg != "" {
		errs = append(errs, fieldErr("name", msg))
	}
	if len(s.Steps) == 0 {
		errs = append(errs, fieldErr("steps", "required: a scenario has at least one step"))
	}
	first := map[string]int{}
	for i, step := range s.Steps {
		at := joinPath(indexPath("steps", i), "name")
		if msg := textProblem(step.Name); msg != "" {
			errs = append(errs, fieldErr(at, msg))
			continue
		}
		if j, dup := first[step.Name]; dup {
			errs = append(errs, fieldErr(at, fmt.Sprintf("duplicate step name %q (also steps[%d])", step.Name, j)))
			continue
		}
		first[step.Name] = i
	}
	for i, tag := range s.Tags {
		if msg := textProblem(tag); msg != "" {
			errs = append(errs, fieldErr(indexPath("tags", i), msg))
		}
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
