package reports

import (
	"slices"
	"strings"
)

// The plain-text account of cells, shared by the terminal and JUnit reports so
// that a failure reads the same in a terminal and in a CI page.

// cellName names a cell the way a reader looks it up in the grid:
// "x/a -> x/b 80/TCP", with the port's name, the target other than the pod
// IP and a loopback mark when they apply.
func cellName(c Cell) string {
	name := c.From + " -> " + c.To + " " + portKey(c)
	if c.PortName != "" {
		name += " (" + c.PortName + ")"
	}
	if c.Target != "" {
		name += " via " + c.Target
	}
	if c.Loopback {
		name += " [loopback]"
	}
	return name
}

// cellOutcome says what the cell's verdict rests on.
func cellOutcome(mode string, c Cell) string {
	if mode == modeSimulate {
		return orUnknown(string(c.Expected))
	}
	observed := orUnknown(string(c.Observed))
	if c.Blocked != "" {
		observed += " (" + string(c.Blocked) + ")"
	}
	if c.NotByEnforcer {
		observed += ", but not by the enforcer"
	}
	return "expected " + orUnknown(string(c.Expected)) + ", observed " + observed
}

// orUnknown keeps an empty value visible in a sentence.
func orUnknown(s string) string {
	if s == "" {
		return "unknown"
	}
	return s
}

// cellAccount is a cell's name and outcome, then its explanation, probe
// detail, drops and reproduce command, one per line; lines after the first are
// indented so that a list of cells stays readable.
func cellAccount(mode string, c Cell) []string {
	lines := []string{cellName(c) + ": " + cellOutcome(mode, c)}
	lines = appendField(lines, "explanation", c.Explanation)
	lines = appendField(lines, "detail", c.Detail)
	for _, d := range c.Drops {
		lines = appendField(lines, "drop", d)
	}
	return appendField(lines, "reproduce", c.Reproduce)
}

// handWrittenAccount is the account of a hand-written expectation that the oracle contradicts.
func handWrittenAccount(h HandWrittenMismatch) []string {
	lines := []string{h.From + " -> " + h.To + " " + h.Port + ": hand-written " + orUnknown(string(h.HandWritten)) + ", oracle " + orUnknown(string(h.Oracle))}
	return appendField(lines, "explanation", h.Explanation)
}

// appendField adds "  label: text" when text is set.
func appendField(lines []string, label, text string) []string {
	for _, l := range fieldLines(label, text) {
		lines = append(lines, "  "+l)
	}
	return lines
}

// fieldLines renders "label: text", indenting the lines of a multi-line text
// after the first; nothing when text is empty.
func fieldLines(label, text string) []string {
	if text == "" {
		return nil
	}
	var lines []string
	for i, line := range strings.Split(strings.TrimRight(text, "\n"), "\n") {
		if i == 0 {
			lines = append(lines, label+": "+line)
		} else {
			lines = append(lines, "  "+line)
		}
	}
	return lines
}

// cellsWithVerdict returns the cells of s whose verdict is v, in step order.
func cellsWithVerdict(s StepResult, v Status) []Cell {
	var cells []Cell
	for _, c := range s.Cells {
		if c.Verdict == v {
			cells = append(cells, c)
		}
	}
	return cells
}

// skipReasons are the step's reasons for skipped cells: its own list, then the
// details of skipped cells it does not mention, sorted, each reason once.
func skipReasons(s StepResult) []string {
	var reasons []string
	seen := map[string]bool{}
	for _, r := range s.Skipped {
		if r != "" && !seen[r] {
			seen[r] = true
			reasons = append(reasons, r)
		}
	}
	var extra []string
	for _, c := range s.Cells {
		skipped := c.Verdict == Skipped || c.Observed == OutcomeSkipped
		if skipped && c.Detail != "" && !seen[c.Detail] {
			seen[c.Detail] = true
			extra = append(extra, c.Detail)
		}
	}
	slices.Sort(extra)
	return append(reasons, extra...)
}

// skippedCells returns the cells of s that were skipped, in step order.
func skippedCells(s StepResult) []Cell {
	var cells []Cell
	for _, c := range s.Cells {
		if c.Verdict == Skipped || c.Observed == OutcomeSkipped {
			cells = append(cells, c)
		}
	}
	return cells
}
