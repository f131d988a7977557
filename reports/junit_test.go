package reports

import (
	"bytes"
	"encoding/xml"
	"errors"
	"reflect"
	"strings"
	"testing"
)

func TestJUnitGolden(t *testing.T) {
	for golden, r := range map[string]*Results{"junit-run.golden": runFixture(), "junit-simulate.golden": simulateFixture()} {
		t.Run(golden, func(t *testing.T) {
			var b bytes.Buffer
			if err := WriteJUnit(&b, r); err != nil {
				t.Fatal(err)
			}
			checkGolden(t, golden, b.Bytes())
		})
	}
}

// TestJUnitRoundTrip reads the XML back with encoding/xml, as CI tools parse
// it, and checks the counts and elements they rely on.
func TestJUnitRoundTrip(t *testing.T) {
	var b bytes.Buffer
	if err := WriteJUnit(&b, runFixture()); err != nil {
		t.Fatal(err)
	}
	var doc junitSuites
	if err := xml.Unmarshal(b.Bytes(), &doc); err != nil {
		t.Fatalf("the JUnit XML does not parse: %v", err)
	}
	type counts struct {
		name                             string
		tests, failures, errors, skipped int
		time                             string
	}
	got := []counts{{doc.Name, doc.Tests, doc.Failures, doc.Errors, doc.Skipped, doc.Time}}
	for _, s := range doc.Suites {
		got = append(got, counts{s.Name, s.Tests, s.Failures, s.Errors, s.Skipped, s.Time})
	}
	want := []counts{
		{"netpolcheck", 5, 1, 1, 1, "9.500"},
		{"allow-all", 1, 0, 0, 0, "1.250"},
		{"deny-ingress", 2, 1, 0, 0, "4.250"},
		{"setup-fails", 1, 0, 1, 0, "0.500"},
		{"sctp-only", 1, 0, 0, 1, "0.000"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("counts = %v, want %v", got, want)
	}
	failing := doc.Suites[1].Cases[1]
	if failing.Classname != "deny-ingress" || failing.Name != "deny all ingress in x" || failing.Time != "2.500" {
		t.Errorf("failing case = %s/%s time %s, want deny-ingress/deny all ingress in x time 2.500", failing.Classname, failing.Name, failing.Time)
	}
	if failing.Failure == nil || failing.Failure.Message != "1 wrong cell, 1 errored cell" {
		t.Fatalf("failing case failure = %+v, want message %q", failing.Failure, "1 wrong cell, 1 errored cell")
	}
	if !strings.Contains(failing.Failure.Text, "x/b -> x/a 80/TCP: expected blocked, observed allowed\n    explanation: x/a is isolated") {
		t.Errorf("failure text lacks the wrong cell and its explanation:\n%s", failing.Failure.Text)
	}
	if want := "skipped: SCTP is not supported by this cluster\nskipped cells:\n"; failing.SystemOut == nil || !strings.HasPrefix(failing.SystemOut.Text, want) {
		t.Errorf("system-out = %+v, want it to start with %q", failing.SystemOut, want)
	}
}

// TestJUnitEscapesMarkup checks that names and texts with XML syntax and
// control characters still produce a document that parses back to them.
func TestJUnitEscapesMarkup(t *testing.T) {
	r := runFixture()
	r.Scenarios[1].Name = `a<b>&"c"`
	r.Scenarios[1].Steps[1].Cells[3].Explanation = "]]> <x/> \x01 end"
	var b bytes.Buffer
	if err := WriteJUnit(&b, r); err != nil {
		t.Fatal(err)
	}
	var doc junitSuites
	if err := xml.Unmarshal(b.Bytes(), &doc); err != nil {
		t.Fatalf("the JUnit XML does not parse: %v", err)
	}
	if got := doc.Suites[1].Name; got != `a<b>&"c"` {
		t.Errorf("suite name = %q, want %q", got, `a<b>&"c"`)
	}
	if text := doc.Suites[1].Cases[1].Failure.Text; !strings.Contains(text, "explanation: ]]> <x/> \uFFFD end") {
		t.Errorf("failure text = %q, want the explanation with the control character replaced", text)
	}
}

// TestStepCaseForEveryStatus covers each step status with the cells that can
// come with it.
func TestStepCaseForEveryStatus(t *testing.T) {
	wrong := runCell("x/b", "x/a", "blocked", "allowed", "fail", withExplanation("isolated"))
	errored := runCell("x/a", "x/b", "allowed", "error", "error", withDetail("no route"))
	skipped := runCell("x/a", "x/b", "allowed", "skipped", "skipped", onSCTP, withDetail(sctpReason))
	tests := []struct {
		name      string
		mode      string
		step      StepResult
		element   string // failure, error, skipped or none
		message   string
		text      string
		systemOut string
	}{
		{name: "pass", mode: "run", step: StepResult{Name: "s", Status: Pass}, element: "none"},
		{
			name: "pass with skipped cells", mode: "run", step: StepResult{Name: "s", Status: Pass, Cells: []Cell{skipped}}, element: "none",
			systemOut: "skipped: SCTP is not supported by this cluster\nskipped cells:\n  x/a -> x/b 132/SCTP: expected allowed, observed skipped\n    detail: SCTP is not supported by this cluster\n",
		},
		{
			name: "fail with a wrong cell", mode: "run", step: StepResult{Name: "s", Status: Fail, Cells: []Cell{wrong}}, element: "failure",
			message: "1 wrong cell",
			text:    "wrong cells:\n  x/b -> x/a 80/TCP: expected blocked, observed allowed\n    explanation: isolated\n",
		},
		{
			name: "fail without cells", mode: "run", step: StepResult{Name: "s", Status: Fail, Error: "did not converge"}, element: "failure",
			message: "did not converge", text: "error: did not converge\n",
		},
		{name: "fail with nothing said", mode: "run", step: StepResult{Name: "s", Status: Fail}, element: "failure", message: "the step failed"},
		{
			name: "error with an errored cell", mode: "run", step: StepResult{Name: "s", Status: Error, Cells: []Cell{errored}}, element: "error",
			message: "1 errored cell",
			text:    "errored cells:\n  x/a -> x/b 80/TCP: expected allowed, observed error\n    detail: no route\n",
		},
		{
			name: "error with a message", mode: "run", step: StepResult{Name: "s", Status: Error, Error: "apply: forbidden"}, element: "error",
			message: "apply: forbidden", text: "error: apply: forbidden\n",
		},
		{name: "error with nothing said", mode: "run", step: StepResult{Name: "s", Status: Error}, element: "error", message: "the step errored"},
		{name: "unknown status", mode: "run", step: StepResult{Name: "s", Status: "weird"}, element: "error", message: `status "weird"`},
		{
			name: "skipped with reasons", mode: "run", step: StepResult{Name: "s", Status: Skipped, Skipped: []string{"no SCTP", "no UDP"}, Cells: []Cell{skipped}}, element: "skipped",
			message: "no SCTP; no UDP; SCTP is not supported by this cluster",
		},
		{name: "skipped with an error", mode: "run", step: StepResult{Name: "s", Status: Skipped, Error: "no SCTP"}, element: "skipped", message: "no SCTP"},
		{name: "skipped with nothing said", mode: "run", step: StepResult{Name: "s", Status: Skipped}, element: "skipped", message: "skipped"},
		{
			name: "simulate fail with hand-written mismatches", mode: "simulate",
			step: StepResult{Name: "s", Status: Fail, HandWritten: []HandWrittenMismatch{
				{From: "x/b", To: "x/a", Port: "80/TCP", HandWritten: "allowed", Oracle: "blocked", Explanation: "isolated"},
				{From: "x/a", To: "x/b", Port: "80/TCP", HandWritten: "blocked", Oracle: "allowed"},
			}},
			element: "failure", message: "2 hand-written expectations contradict the oracle",
			text: "hand-written expectations the oracle contradicts:\n  x/b -> x/a 80/TCP: hand-written allowed, oracle blocked\n    explanation: isolated\n  x/a -> x/b 80/TCP: hand-written blocked, oracle allowed\n",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := stepCase(tt.mode, "scenario", tt.step)
			if c.Classname != "scenario" || c.Name != "s" || c.Time != "0.000" {
				t.Errorf("case = %s/%s time %s, want scenario/s time 0.000", c.Classname, c.Name, c.Time)
			}
			element, message, text, systemOut := "none", "", "", ""
			if c.SystemOut != nil {
				systemOut = c.SystemOut.Text
			}
			switch {
			case c.Failure != nil:
				element, message, text = "failure", c.Failure.Message, c.Failure.Text
			case c.Error != nil:
				element, message, text = "error", c.Error.Message, c.Error.Text
			case c.Skipped != nil:
				element, message = "skipped", c.Skipped.Message
			}
			if element != tt.element || message != tt.message || text != tt.text || systemOut != tt.systemOut {
				t.Errorf("got %s %q text %q system-out %q\nwant %s %q text %q system-out %q",
					element, message, text, systemOut, tt.element, tt.message, tt.text, tt.systemOut)
			}
		})
	}
}

func TestScenarioCase(t *testing.T) {
	tests := []struct {
		name     string
		scenario ScenarioResult
		want     *junitCase
	}{
		{name: "pass", scenario: ScenarioResult{Name: "p", Status: Pass}},
		{name: "fail carried by a step", scenario: ScenarioResult{Name: "f", Status: Fail, Steps: []StepResult{{Name: "s", Status: Fail}}}},
		{
			name: "fail carried by no step", scenario: ScenarioResult{Name: "f", Status: Fail, Error: "teardown left pods", Steps: []StepResult{{Name: "s", Status: Pass}}},
			want: &junitCase{Classname: "f", Name: "(scenario)", Time: "0.000", Failure: &junitProblem{Message: "teardown left pods", Type: "scenario", Text: "teardown left pods"}},
		},
		{
			name: "setup error", scenario: ScenarioResult{Name: "e", Status: Error, Error: "setup: boom"},
			want: &junitCase{Classname: "e", Name: "(scenario)", Time: "0.000", Error: &junitProblem{Message: "setup: boom", Type: "scenario", Text: "setup: boom"}},
		},
		{name: "error carried by a step", scenario: ScenarioResult{Name: "e", Status: Error, Steps: []StepResult{{Name: "s", Status: Error}}}},
		{
			name: "skipped with no steps", scenario: ScenarioResult{Name: "k", Status: Skipped, Error: "no SCTP"},
			want: &junitCase{Classname: "k", Name: "(scenario)", Time: "0.000", Skipped: &junitSkipped{Message: "no SCTP"}},
		},
		{
			name: "unknown status", scenario: ScenarioResult{Name: "u", Status: "odd"},
			want: &junitCase{Classname: "u", Name: "(scenario)", Time: "0.000", Error: &junitProblem{Message: `status "odd"`, Type: "scenario"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := scenarioCase(tt.scenario)
			if (tt.want == nil) == ok {
				t.Fatalf("scenarioCase added a case: %v, want %v", ok, tt.want != nil)
			}
			if ok && !reflect.DeepEqual(&got, tt.want) {
				t.Errorf("case = %+v, want %+v", got, *tt.want)
			}
		})
	}
}

type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

func TestRenderersReportWriteErrors(t *testing.T) {
	tests := []struct {
		name   string
		render func() error
		want   string
	}{
		{"terminal", func() error { return WriteTerminal(failingWriter{}, runFixture(), TerminalOptions{}) }, "write terminal report: disk full"},
		{"junit", func() error { return WriteJUnit(failingWriter{}, runFixture()) }, "write junit: disk full"},
		{"html", func() error { return WriteHTML(failingWriter{}, runFixture()) }, "write html report: disk full"},
		{"json", func() error { return WriteJSON(failingWriter{}, runFixture()) }, "write results json: disk full"},
		{"terminal nil", func() error { return WriteTerminal(&bytes.Buffer{}, nil, TerminalOptions{}) }, "write terminal report: no results"},
		{"junit nil", func() error { return WriteJUnit(&bytes.Buffer{}, nil) }, "write junit: no results"},
		{"json nil", func() error { return WriteJSON(&bytes.Buffer{}, nil) }, "write results json: no results"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.render(); err == nil || err.Error() != tt.want {
				t.Errorf("error = %v, want %s", err, tt.want)
			}
		})
	}
}
