package reports

import (
	"fmt"
	"strings"
)

// stepCase is one step's testcase: a failure listing the wrong cells, an
// error listing the errored ones, or skipped with the reason; the cells of a
// partly skipped step go to system-out with their reasons.
func stepCase(mode, scenario string, st StepResult) junitCase {
	c := junitCase{Classname: scenario, Name: st.Name, Time: junitTime(st.Converge)}
	wrong, errored := cellsWithVerdict(st, Fail), cellsWithVerdict(st, Error)
	switch st.Status {
	case Pass:
	case Fail:
		c.Failure = &junitProblem{Message: failureMessage(st, wrong, errored), Type: "mismatch", Text: xmlText(problemText(mode, st, wrong, errored))}
	case Skipped:
		c.Skipped = &junitSkipped{Message: skipMessage(st)}
		return c
	default:
		c.Error = &junitProblem{Message: errorMessage(st, wrong, errored), Type: "error", Text: xmlText(problemText(mode, st, wrong, errored))}
	}
	if out := skippedText(mode, st); out != "" {
		c.SystemOut = &junitText{Text: xmlText(out)}
	}
	return c
}

// failureMessage is the one-line reason a step failed.
func failureMessage(st StepResult, wrong, errored []Cell) string {
	var parts []string
	if len(wrong) > 0 {
		parts = append(parts, plural(len(wrong), "wrong cell", "wrong cells"))
	}
	if len(errored) > 0 {
		parts = append(parts, plural(len(errored), "errored cell", "errored cells"))
	}
	if len(st.HandWritten) > 0 {
		parts = append(parts, plural(len(st.HandWritten), "hand-written expectation contradicts the oracle", "hand-written expectations contradict the oracle"))
	}
	if len(parts) == 0 {
		return firstNonEmpty(st.Error, "the step failed")
	}
	return strings.Join(parts, ", ")
}

// errorMessage is the one-line reason a step errored.
func errorMessage(st StepResult, wrong, errored []Cell) string {
	if st.Error != "" {
		return st.Error
	}
	if st.Status != Error {
		return fmt.Sprintf("status %q", st.Status)
	}
	if len(wrong)+len(errored)+len(st.HandWritten) > 0 {
		return failureMessage(st, wrong, errored)
	}
	return "the step errored"
}

// skipMessage is why a whole step was skipped.
func skipMessage(st StepResult) string {
	if st.Error != "" {
		return st.Error
	}
	if reasons := skipReasons(st); len(reasons) > 0 {
		return strings.Join(reasons, "; ")
	}
	return "skipped"
}

// problemText is the body of a failure or error: the step's error, then an
// account of every wrong, errored and contradicted cell.
func problemText(mode string, st StepResult, wrong, errored []Cell) string {
	lines := fieldLines("error", st.Error)
	lines = appendCells(lines, "wrong cells:", mode, wrong)
	lines = appendCells(lines, "errored cells:", mode, errored)
	if len(st.HandWritten) > 0 {
		lines = append(lines, "hand-written expectations the oracle contradicts:")
		for _, h := range st.HandWritten {
			lines = append(lines, indentAll("  ", handWrittenAccount(h))...)
		}
	}
	return joinLines(lines)
}

// skippedText lists the skip reasons and skipped cells of a step that ran.
func skippedText(mode string, st StepResult) string {
	var lines []string
	for _, reason := range skipReasons(st) {
		lines = append(lines, "skipped: "+reason)
	}
	return joinLines(appendCells(lines, "skipped cells:", mode, skippedCells(st)))
}

// appendCells adds a titled list of cell accounts when there are cells.
func appendCells(lines []string, title, mode string, cells []Cell) []string {
	if len(cells) == 0 {
		return lines
	}
	lines = append(lines, title)
	for _, c := range cells {
		lines = append(lines, indentAll("  ", cellAccount(mode, c))...)
	}
	return lines
}

// indentAll prefixes every line.
func indentAll(prefix string, lines []string) []string {
	out := make([]string, len(lines))
	for i, l := range lines {
		out[i] = prefix + l
	}
	return out
}

// joinLines joins lines, ending with a newline unless there are none.
func joinLines(lines []string) string {
	if len(lines) == 0 {
		return ""
	}
	return strings.Join(lines, "\n") + "\n"
}
