package reports

import (
	"cmp"
	"fmt"
	"io"
	"strings"
)

// WriteComparison prints a Comparison for a terminal: what each run was,
// then only what differs, at most maxCells cells (0: every one).
func WriteComparison(w io.Writer, c *Comparison, maxCells int) error {
	tw := &printer{w: w}
	for _, s := range []RunSide{c.A, c.B} {
		tw.printf("%s: %s\n", s.Label, describeSide(s))
	}
	if c.Same() {
		tw.printf("the same: %d cells compared, every one alike; no scenario, feature, dimension value or behaviour differs", c.CellsCompared)
		tw.printf("%s\n", comparisonAsides(c))
		writeBehaviourDiffs(tw, c)
		return tw.err
	}
	if len(c.Scenarios) > 0 {
		tw.printf("\nscenarios whose status differs (%d):\n", len(c.Scenarios))
		for _, d := range c.Scenarios {
			tw.printf("  %-50s %s | %s\n", d.Name, statusOrNotRun(d.A), statusOrNotRun(d.B))
		}
	}
	tw.printf("\ncells: %d compared, %d alike, %d differ%s\n", c.CellsCompared, c.CellsSame, len(c.Cells), comparisonAsides(c))
	shown := c.Cells
	if maxCells > 0 && len(shown) > maxCells {
		shown = shown[:maxCells]
	}
	for _, d := range shown {
		tw.printf("  %s / %s: %s -> %s %d/%s%s expected %s: %s | %s\n", d.Scenario, d.Step, d.From, d.To, d.Port, d.Protocol, via(d.Target),
			cmp.Or(d.Expected, "-"), d.A, d.B)
	}
	if len(shown) < len(c.Cells) {
		tw.printf("  ... and %d more (--all shows every one)\n", len(c.Cells)-len(shown))
	}
	for _, group := range []struct {
		what  string
		diffs []StatusDiff
	}{{"features", c.Features}, {"dimension values", c.Dimensions}} {
		if len(group.diffs) == 0 {
			continue
		}
		tw.printf("\n%s whose status differs (%d):\n", group.what, len(group.diffs))
		for _, d := range group.diffs {
			tw.printf("  %-50s %s | %s\n", d.Name, statusOrNotRun(d.A), statusOrNotRun(d.B))
		}
	}
	writeBehaviourDiffs(tw, c)
	return tw.err
}

// writeBehaviourDiffs lists the observations that differ, and the measured
// ones side by side.
func writeBehaviourDiffs(tw *printer, c *Comparison) {
	if len(c.Behaviour) == 0 {
		return
	}
	tw.printf("\nbehaviour (observed, not judged):\n")
	for _, d := range c.Behaviour {
		name := d.Name
		if d.Measured {
			name += " (measured)"
		}
		tw.printf("  %-40s %s | %s\n", name, orNotObserved(d.A), orNotObserved(d.B))
	}
}

func orNotObserved(s string) string {
	if s == "" {
		return "not observed"
	}
	return s
}

// describeSide is one run in a line.
func describeSide(s RunSide) string {
	var parts []string
	for _, kv := range [][2]string{{"cluster", s.Cluster}, {"enforcer", s.Enforcer}, {"target", s.Target}, {"version", s.Version}} {
		if kv[1] != "" {
			parts = append(parts, kv[0]+" "+kv[1])
		}
	}
	t := s.Scenarios
	parts = append(parts, fmt.Sprintf("%d scenarios: %d passed, %d failed, %d errored, %d skipped, in %.0fs",
		t.Total(), t.Passed, t.Failed, t.Errored, t.Skipped, float64(s.Duration)))
	return strings.Join(parts, ", ")
}

// comparisonAsides are the cells compared but not counted as differences.
func comparisonAsides(c *Comparison) string {
	var s string
	if c.LoopbackDiffering > 0 {
		s += fmt.Sprintf("; %d loopback cells observed differently (ignored, as upstream does)", c.LoopbackDiffering)
	}
	if c.StepsWithoutCells > 0 {
		s += fmt.Sprintf("; %d steps kept no cells in one run (--cells; not compared)", c.StepsWithoutCells)
	}
	if c.SkippedInOne > 0 {
		s += fmt.Sprintf("; %d cells skipped by one run only (not compared)", c.SkippedInOne)
	}
	if c.OtherTarget > 0 {
		s += fmt.Sprintf("; %d cells dialled through a target the other run did not use (not compared)", c.OtherTarget)
	}
	return s
}

func statusOrNotRun(s Status) string {
	if s == "" {
		return "not run"
	}
	return string(s)
}

// printer writes formatted text, keeping the first error.
type printer struct {
	w   io.Writer
	err error
}

func (p *printer) printf(format string, args ...any) {
	if p.err == nil {
		_, p.err = fmt.Fprintf(p.w, format, args...)
	}
}

// via names a target other than the pod IP: " via service".
func via(target string) string {
	if target == "" {
		return ""
	}
	return " via " + target
}
