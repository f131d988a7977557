package reports

import (
	"bytes"
	"strings"
	"testing"
)

// TestTerminalScenarioForEveryStatus renders one scenario per case and
// compares the exact text, so that each status combination is pinned down.
func TestTerminalScenarioForEveryStatus(t *testing.T) {
	wrong := runCell("x/b", "x/a", "blocked", "allowed", "fail",
		withExplanation("x/a is isolated\nby x/deny-all"), withDrops("drop 1", "drop 2"), withReproduce("repro"),
		func(c *Cell) { c.PortName = "http" })
	tests := []struct {
		name     string
		mode     string
		verbose  bool
		scenario ScenarioResult
		want     string
	}{
		{
			name: "run pass", mode: "run",
			scenario: ScenarioResult{Name: "sc", Status: Pass, Steps: []StepResult{{Name: "st", Status: Pass, Cells: []Cell{runCell("x/a", "x/b", "allowed", "allowed", "pass")}}}},
			want:     "PASS  sc (1 step, 0.00s)\n",
		},
		{
			name: "run pass verbose", mode: "run", verbose: true,
			scenario: ScenarioResult{Name: "sc", Status: Pass, Steps: []StepResult{{Name: "st", Status: Pass, Converge: 0.25, Cells: []Cell{runCell("x/a", "x/b", "allowed", "allowed", "pass")}}}},
			want: `PASS  sc (1 step, 0.00s)
  step 1/1 "st": PASS, converge 0.25s, 0 retries
    80/TCP expected:
      -    x/b
      x/a  .
    80/TCP observed:
      -    x/b
      x/a  .
`,
		},
		{
			name: "run pass with skipped cells", mode: "run",
			scenario: ScenarioResult{Name: "sc", Status: Pass, Steps: []StepResult{{Name: "st", Status: Pass,
				Cells: []Cell{runCell("x/a", "x/b", "allowed", "skipped", "skipped", withDetail("no UDP"))}}}},
			want: "PASS  sc (1 step, 0.00s)\n  step 1/1 \"st\": PASS\n    skipped: no UDP\n",
		},
		{
			name: "run fail", mode: "run",
			scenario: ScenarioResult{Name: "sc", Status: Fail, Steps: []StepResult{{Name: "st", Status: Fail, Retries: 1, Cells: []Cell{wrong}}}},
			want: `FAIL  sc (1 step, 0.00s)
  step 1/1 "st": FAIL, converge 0.00s, 1 retry
    80/TCP expected:
      -    x/a
      x/b  X
    80/TCP observed:
      -    x/a
      x/b  .
    80/TCP comparison:
      -    x/a
      x/b  X
    wrong cells:
      x/b -> x/a 80/TCP (http): expected blocked, observed allowed
        explanation: x/a is isolated
          by x/deny-all
        drop: drop 1
        drop: drop 2
        reproduce: repro
`,
		},
		{
			name: "run error without cells", mode: "run",
			scenario: ScenarioResult{Name: "sc", Status: Error, Steps: []StepResult{{Name: "st", Status: Error, Error: "apply: forbidden"}}},
			want:     "ERROR sc (1 step, 0.00s)\n  step 1/1 \"st\": ERROR\n    error: apply: forbidden\n",
		},
		{
			name: "run error with a loopback cell", mode: "run",
			scenario: ScenarioResult{Name: "sc", Status: Error, Steps: []StepResult{{Name: "st", Status: Error,
				Cells: []Cell{runCell("x/a", "x/a", "allowed", "error", "error", withDetail("no agent"))}}}},
			want: `ERROR sc (1 step, 0.00s)
  step 1/1 "st": ERROR, converge 0.00s, 0 retries
    80/TCP expected:
      -    x/a
      x/a  .
    80/TCP observed:
      -    x/a
      x/a  E
    80/TCP comparison:
      -    x/a
      x/a  E
    errored cells:
      x/a -> x/a 80/TCP [loopback]: expected allowed, observed error
        detail: no agent
`,
		},
		{
			name: "run skipped step", mode: "run",
			scenario: ScenarioResult{Name: "sc", Status: Skipped, Steps: []StepResult{{Name: "st", Status: Skipped, Error: "no SCTP here"}}},
			want:     "SKIP  sc (1 step, 0.00s)\n  step 1/1 \"st\": SKIP\n    skipped: no SCTP here\n",
		},
		{
			name: "scenario setup error", mode: "run",
			scenario: ScenarioResult{Name: "sc", Status: Error, Error: "setup: boom\nmore", Duration: 1.5},
			want:     "ERROR sc (0 steps, 1.50s)\n  error: setup: boom\n    more\n",
		},
		{
			name: "scenario skipped", mode: "run",
			scenario: ScenarioResult{Name: "sc", Status: Skipped, Error: "no SCTP"},
			want:     "SKIP  sc (0 steps, 0.00s)\n  skipped: no SCTP\n",
		},
		{
			name: "unknown statuses", mode: "run",
			scenario: ScenarioResult{Name: "sc", Status: "weird", Steps: []StepResult{{Name: "st"}}},
			want:     "WEIRD sc (1 step, 0.00s)\n  step 1/1 \"st\": ?\n",
		},
		{
			name: "simulate pass", mode: "simulate",
			scenario: ScenarioResult{Name: "sc", Status: Pass, Steps: []StepResult{{Name: "st", Status: Pass, Cells: []Cell{simCell("x/a", "x/b", "blocked")}}}},
			want:     "PASS  sc (1 step, 0.00s)\n",
		},
		{
			name: "simulate pass verbose", mode: "simulate", verbose: true,
			scenario: ScenarioResult{Name: "sc", Status: Pass, Tags: []string{"a", "b"}, Steps: []StepResult{{Name: "st", Status: Pass, Cells: []Cell{simCell("x/a", "x/b", "blocked")}}}},
			want:     "PASS  sc (1 step, 0.00s)\n  tags: a, b\n  step 1/1 \"st\": PASS\n    80/TCP verdicts:\n      -    x/b\n      x/a  X\n",
		},
		{
			name: "simulate fail", mode: "simulate",
			scenario: ScenarioResult{Name: "sc", Status: Fail, Steps: []StepResult{{Name: "st", Status: Fail,
				Cells:       []Cell{simCell("x/a", "x/b", "blocked")},
				HandWritten: []HandWrittenMismatch{{From: "x/a", To: "x/b", Port: "80/TCP", HandWritten: "allowed", Oracle: "blocked", Explanation: "two\nlines"}},
			}}},
			want: `FAIL  sc (1 step, 0.00s)
  step 1/1 "st": FAIL
    80/TCP verdicts:
      -    x/b
      x/a  X
    hand-written expectations the oracle contradicts:
      FROM  TO   PORT    HAND-WRITTEN  ORACLE   EXPLANATION
      x/a   x/b  80/TCP  allowed       blocked  two lines
`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b bytes.Buffer
			report := &terminalReport{textWriter: textWriter{w: &b}, simulate: tt.mode == "simulate", mode: tt.mode, verbose: tt.verbose}
			report.scenario(tt.scenario)
			if report.err != nil {
				t.Fatal(report.err)
			}
			if b.String() != tt.want {
				t.Errorf("got:\n%s\nwant:\n%s", b.String(), tt.want)
			}
		})
	}
}

func TestTerminalHeaderAndSummary(t *testing.T) {
	var b bytes.Buffer
	r := &Results{Mode: "run", Scenarios: []ScenarioResult{{Name: "a", Status: Pass}}}
	if err := WriteTerminal(&b, r, TerminalOptions{Color: true}); err != nil {
		t.Fatal(err)
	}
	want := "netpolcheck run: 1 scenario in 0.00s\n\n" +
		"\x1b[32mPASS \x1b[0m a (0 steps, 0.00s)\n\n" +
		"summary: scenarios \x1b[32m1 passed\x1b[0m, 0 failed, 0 errored, 0 skipped; steps 0 passed, 0 failed, 0 errored, 0 skipped\n"
	if b.String() != want {
		t.Errorf("got %q\nwant %q", b.String(), want)
	}
}

func TestTextTableAlignsPaintedCells(t *testing.T) {
	var b bytes.Buffer
	w := &textWriter{w: &b, color: true}
	w.table("> ", [][]styled{
		{{text: "-"}, {text: "x/a"}, {text: "long/name"}},
		{{text: "x/a"}, {text: "X", color: colorRed}, {text: ""}},
		{{text: "ü/b"}, {text: "."}, {text: "."}},
	})
	want := "> -    x/a  long/name\n" +
		"> x/a  \x1b[1;31mX\x1b[0m\n" +
		"> ü/b  .    .\n"
	if b.String() != want {
		t.Errorf("got %q\nwant %q", b.String(), want)
	}
	if strings.Contains(b.String(), " \n") {
		t.Error("a line ends with a space")
	}
}

// How a blocked cell was blocked, and a block the enforcer did not log, read
// in the terminal as what they are.
func TestTerminalSaysHowCellsWereBlocked(t *testing.T) {
	r := &Results{Mode: "run", Started: fixtureStarted, Scenarios: []ScenarioResult{{
		Name: "s", Status: Fail, Steps: []StepResult{{
			Name: "deny", Status: Fail, Blocks: map[How]int{BlockedDropped: 3, BlockedRefused: 1},
			Cells: []Cell{{From: "x/a", To: "x/b", Port: 80, Protocol: "TCP", Verdict: "fail", Expected: "blocked", Observed: "blocked", Blocked: BlockedDropped, NotByEnforcer: true}},
		}},
	}}}
	var b strings.Builder
	if err := WriteTerminal(&b, r, TerminalOptions{}); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"blocked cells: 3 dropped (no answer), 1 refused (reset or unreachable)",
		"x/a -> x/b 80/TCP: expected blocked, observed blocked (dropped), but not by the enforcer",
	} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("terminal report lacks %q:\n%s", want, b.String())
		}
	}
	if err := r.Validate(); err != nil {
		t.Errorf("Validate: %v", err)
	}
	r.Scenarios[0].Steps[0].Cells[0].Observed = "allowed"
	if err := r.Validate(); err == nil {
		t.Error("Validate accepts a blocked how on a cell observed allowed")
	}
}
