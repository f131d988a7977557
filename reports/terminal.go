package reports

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
)

// TerminalOptions choose how much WriteTerminal prints and how.
type TerminalOptions struct {
	// Verbose prints the grids of every step, not only of the steps that went wrong.
	Verbose bool
	// Color paints statuses and mismatches with ANSI colours.
	Color bool
}

// WriteTerminal writes the human report of r: a line per scenario, the grids
// and wrong cells of every step that went wrong (of every step with Verbose),
// skip reasons, for runs the feature and dimension tables, and a summary line
// naming the failures.
func WriteTerminal(w io.Writer, r *Results, opts TerminalOptions) error {
	if r == nil {
		return errors.New("write terminal report: no results")
	}
	t := &terminalReport{
		textWriter: textWriter{w: w, color: opts.Color},
		simulate:   r.Mode == modeSimulate,
		mode:       r.Mode,
		verbose:    opts.Verbose,
	}
	t.header(r)
	for _, sc := range r.Scenarios {
		t.scenario(sc)
	}
	if r.Mode == modeRun {
		if fs := Features(r); anyCovered(fs) {
			t.features(fs)
		}
		if table := Dimensions(r); table != nil {
			t.dimensions(table)
		}
	}
	if r.Mode == modeRun {
		total := map[How]int{}
		for _, sc := range r.Scenarios {
			for _, st := range sc.Steps {
				for k, n := range st.Blocks {
					total[k] += n
				}
			}
		}
		if line := blocksLine(total); line != "" {
			// A CNI that rejects reads differently from one that drops.
			t.line("", "")
			t.line("", "%s", line)
		}
		if obs := Behaviour(r); len(obs) > 0 {
			t.behaviour(obs)
		}
		if tm := RunTiming(r); tm != nil {
			t.timing(tm)
		}
	}
	t.summary(r.Summarize())
	if t.err != nil {
		return fmt.Errorf("write terminal report: %w", t.err)
	}
	return nil
}

// terminalReport renders one Results as text.
type terminalReport struct {
	textWriter
	simulate bool
	mode     string
	verbose  bool
}

// header names the run: mode, version, backend and size.
func (t *terminalReport) header(r *Results) {
	title := "netpolcheck " + orUnknown(r.Mode)
	if r.Version != "" {
		title += " (" + r.Version + ")"
	}
	var facts []string
	if r.Cluster != "" {
		facts = append(facts, "cluster "+r.Cluster)
	}
	if r.Enforcer != "" {
		facts = append(facts, "enforcer "+r.Enforcer)
	}
	if r.Target != "" {
		facts = append(facts, "target "+r.Target)
	}
	if !r.Started.IsZero() {
		facts = append(facts, "started "+r.Started.UTC().Format(time.RFC3339))
	}
	facts = append(facts, fmt.Sprintf("%s in %s", plural(len(r.Scenarios), "scenario", "scenarios"), seconds(r.Duration)))
	t.line("", "%s: %s", title, strings.Join(facts, ", "))
	t.line("", "")
}

// scenario writes the scenario's status line and the steps worth showing.
func (t *terminalReport) scenario(sc ScenarioResult) {
	t.line("", "%s %s (%s, %s)", t.status(sc.Status, 5), sc.Name, plural(len(sc.Steps), "step", "steps"), seconds(sc.Duration))
	if t.verbose {
		t.lines("  ", fieldLines("description", sc.Description))
		t.lines("  ", fieldLines("source", sc.Source))
		t.lines("  ", fieldLines("seed", sc.Seed))
		t.lines("  ", fieldLines("file", sc.File))
		t.lines("  ", fieldLines("tags", strings.Join(sc.Tags, ", ")))
	}
	t.lines("  ", fieldLines(problemLabel(sc.Status), sc.Error))
	for i, st := range sc.Steps {
		if t.verbose || st.Status != Pass || len(st.HandWritten) > 0 || len(skipReasons(st)) > 0 {
			t.step(i+1, len(sc.Steps), st)
		}
	}
}

// summary writes the closing line: counts, then the names of what failed or errored.
func (t *terminalReport) summary(sum Summary) {
	line := "summary: scenarios " + t.tally(sum.Scenarios) + "; steps " + t.tally(sum.Steps)
	if len(sum.Failed) > 0 {
		line += "; failed: " + strings.Join(sum.Failed, ", ")
	}
	if len(sum.Errored) > 0 {
		line += "; errored: " + strings.Join(sum.Errored, ", ")
	}
	t.line("", "")
	t.line("", "%s", line)
}

// tally renders counts, painting the non-zero bad ones.
func (t *terminalReport) tally(c Tally) string {
	count := func(n int, word, color string) string {
		s := fmt.Sprintf("%d %s", n, word)
		if n == 0 {
			return s
		}
		return t.paint(color, s)
	}
	return strings.Join([]string{
		count(c.Passed, "passed", colorGreen),
		count(c.Failed, "failed", colorRed),
		count(c.Errored, "errored", colorMagenta),
		count(c.Skipped, "skipped", colorYellow),
	}, ", ")
}

// status is the painted label of a status, padded to width before painting.
func (t *terminalReport) status(s Status, width int) string {
	label, color := strings.ToUpper(string(s)), colorMagenta
	switch s {
	case Pass:
		label, color = "PASS", colorGreen
	case Fail:
		label, color = "FAIL", colorRed
	case Error:
		label = "ERROR"
	case Skipped:
		label, color = "SKIP", colorYellow
	case "":
		label = "?"
	}
	return t.paint(color, fmt.Sprintf("%-*s", width, label))
}

// problemLabel names a scenario's or step's Error text: a skip reason or an error.
func problemLabel(s Status) string {
	if s == Skipped {
		return "skipped"
	}
	return "error"
}

// plural renders a count with its noun.
func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

// seconds renders a duration the way every report does: "3.40s".
func seconds(s Seconds) string { return fmt.Sprintf("%.2fs", float64(s)) }

// timing writes where a run's time went, and its slowest steps.
func (t *terminalReport) timing(tm *Timing) {
	t.line("", "")
	t.line("", "time, summed over scenarios: setup %s, apply %s, enforcer sync %s, checks %s, probing %s in %s (%d probes, %d waited out their timeout), between rounds %s, teardown %s",
		seconds(tm.Setup), seconds(tm.Apply), seconds(tm.Sync), seconds(tm.Check), seconds(tm.Probe),
		plural(tm.Rounds, "round", "rounds"), tm.Probes, tm.TimedOut, seconds(tm.Backoff), seconds(tm.Teardown))
	if timeouts := tm.Timeouts(); timeouts != "" {
		t.line("", "%s", timeouts)
	}
	t.line("", "slowest steps:")
	for _, s := range tm.Slowest {
		p := s.Phases
		t.line("  ", "%s/%s: %s (apply %s, sync %s, probing %s in %s, between rounds %s)",
			s.Scenario, s.Step, seconds(s.Seconds), seconds(p.Apply), seconds(p.Sync), seconds(p.Probe()),
			plural(len(p.Rounds), "round", "rounds"), seconds(p.Backoff))
	}
}

// behaviour lists what the run observed of the behaviours the API leaves
// to each implementation: observations, not verdicts.
func (t *terminalReport) behaviour(obs []Observation) {
	t.line("", "")
	t.line("", "Behaviour (left to each implementation; observed, not judged):")
	name, value := 0, 0
	for _, o := range obs {
		name, value = max(name, len(o.Name)), max(value, len(o.Value))
	}
	for _, o := range obs {
		t.line("  ", "%-*s  %-*s  %s", name, o.Name, value, o.Value, o.Detail)
	}
}
