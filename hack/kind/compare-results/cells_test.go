package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/netpolcheck/netpolcheck/reports"
)

// cell is a run cell; verdict follows from expected and observed unless given.
func cell(from, to string, port int32, expected, observed reports.Outcome) reports.Cell {
	c := reports.Cell{From: from, To: to, Port: port, Protocol: "TCP", Expected: expected, Observed: observed}
	switch {
	case observed == "skipped":
		c.Verdict = "skipped"
	case expected == observed:
		c.Verdict = "pass"
	default:
		c.Verdict = "fail"
	}
	return c
}

func results(cells ...reports.Cell) *reports.Results {
	return &reports.Results{Mode: "run", Scenarios: []reports.ScenarioResult{{
		Name: "s", Status: reports.Pass,
		Steps: []reports.StepResult{{Name: "deny x", Cells: cells, CellCount: len(cells)}},
	}}}
}

func TestCompareSame(t *testing.T) {
	base := []reports.Cell{
		cell("x/a", "x/b", 80, "allowed", "allowed"),
		cell("x/a", "x/b", 81, "blocked", "blocked"),
		cell("outside", "x/a", 80, "blocked", "blocked"),
		cell("x/a", "outside", 80, "allowed", "allowed"),
	}
	skippedOutside := []reports.Cell{base[0], base[1], cell("outside", "x/a", 80, "blocked", "skipped"), cell("x/a", "outside", 80, "allowed", "skipped")}
	tests := []struct {
		name            string
		b               []reports.Cell
		externalSkipped bool
		want            comparison
		problems        []string
	}{
		{"identical", base, false, comparison{cells: 4, same: 4}, nil},
		{"external skipped, accepted", skippedOutside, true, comparison{cells: 4, same: 2, externalSkipped: 2}, nil},
		{"external skipped, not accepted", skippedOutside, false, comparison{cells: 4, same: 2}, []string{
			"s / 1 deny x: outside -> x/a 80/TCP: observed blocked (), then skipped ()",
			"s / 1 deny x: x/a -> outside 80/TCP: observed allowed (), then skipped ()",
		}},
		{"a pod cell skipped is never accepted", []reports.Cell{base[0], cell("x/a", "x/b", 81, "blocked", "skipped"), base[2], base[3]}, true,
			comparison{cells: 4, same: 3}, []string{"s / 1 deny x: x/a -> x/b 81/TCP: observed blocked (), then skipped ()"}},
		{"observed differs", []reports.Cell{base[0], cell("x/a", "x/b", 81, "blocked", "allowed"), base[2], base[3]}, true,
			comparison{cells: 4, same: 3}, []string{"s / 1 deny x: x/a -> x/b 81/TCP: observed blocked (), then allowed ()"}},
		{"expected differs", []reports.Cell{base[0], cell("x/a", "x/b", 81, "allowed", "blocked"), base[2], base[3]}, false,
			comparison{cells: 4, same: 3}, []string{"s / 1 deny x: x/a -> x/b 81/TCP: expected blocked, then allowed"}},
		{"cells missing and extra", []reports.Cell{base[0], base[1], base[2], cell("x/b", "x/a", 80, "allowed", "allowed")}, false,
			comparison{cells: 3, same: 3}, []string{
				"s / 1 deny x: x/a -> outside 80/TCP: only in the first run",
				"s / 1 deny x: x/b -> x/a 80/TCP: only in the second run",
			}},
	}
	for _, tt := range tests {
		got, problems := compareSame(results(base...), results(tt.b...), tt.externalSkipped, false)
		if got != tt.want || !reflect.DeepEqual(problems, tt.problems) {
			t.Errorf("%s: %+v, %q; want %+v, %q", tt.name, got, problems, tt.want, tt.problems)
		}
	}
}

// A run through Services as well as pod IPs answers, cell for cell, to a
// run by pod IP: each Service cell must match the pod-IP cell, and exist.
func TestCompareSameThroughServices(t *testing.T) {
	base := []reports.Cell{
		cell("x/a", "x/b", 80, "allowed", "allowed"),
		cell("x/a", "x/b", 81, "blocked", "blocked"),
		cell("x/a", "outside", 80, "allowed", "allowed"),
	}
	via := func(c reports.Cell) reports.Cell {
		c.Target = reports.TargetService
		return c
	}
	both := func(cells ...reports.Cell) *reports.Results {
		r := results(cells...)
		r.Target = "pod,service"
		return r
	}
	tests := []struct {
		name     string
		b        *reports.Results
		want     comparison
		problems []string
	}{
		{"the same both ways", both(base[0], base[1], base[2], via(base[0]), via(base[1])), comparison{cells: 5, same: 5}, nil},
		{"a Service cell differs", both(base[0], base[1], base[2], via(base[0]), via(cell("x/a", "x/b", 81, "blocked", "allowed"))),
			comparison{cells: 5, same: 4}, []string{"s / 1 deny x: x/a -> x/b 81/TCP via service: observed blocked (), then allowed ()"}},
		{"a Service cell is missing", both(base[0], base[1], base[2], via(base[0])),
			comparison{cells: 4, same: 4}, []string{"s / 1 deny x: x/a -> x/b 81/TCP via service: only in the first run"}},
		{"an external host through a Service", both(base[0], base[1], base[2], via(base[0]), via(base[1]), via(base[2])),
			comparison{cells: 6, same: 6}, nil},
	}
	for _, tt := range tests {
		got, problems := compareSame(results(base...), tt.b, false, false)
		if got != tt.want || !reflect.DeepEqual(problems, tt.problems) {
			t.Errorf("%s: %+v, %q; want %+v, %q", tt.name, got, problems, tt.want, tt.problems)
		}
	}
}

func TestCompareSameIgnoresLoopbackObservations(t *testing.T) {
	// Seen on kind: a loaded pod answered itself after the 1 s timeout in
	// one run ("reply: no answer within 1s") and in time in the other.
	slow := cell("x/a", "x/a", 80, "blocked", "blocked")
	slow.Loopback = true
	quick := cell("x/a", "x/a", 80, "blocked", "allowed")
	quick.Loopback, quick.Verdict = true, reports.Ignored
	other := cell("x/a", "x/b", 80, "allowed", "allowed")
	got, problems := compareSame(results(other, slow), results(other, quick), false, false)
	if want := (comparison{cells: 2, same: 1, loopback: 1}); got != want || problems != nil {
		t.Errorf("%+v, %q; want %+v and no problems", got, problems, want)
	}
}

func TestCompareSameRefusesOmittedCells(t *testing.T) {
	b := results()
	b.Scenarios[0].Steps[0].CellsOmitted = true
	_, problems := compareSame(results(), b, false, false)
	if want := []string{"second run: s / 1 deny x kept no cells"}; !reflect.DeepEqual(problems, want) {
		t.Errorf("problems %q; want %q", problems, want)
	}
}

// hairpin is a loopback cell through the pod's own Service.
func hairpin(port int32, expected, observed reports.Outcome, verdict reports.Status) reports.Cell {
	c := cell("x/b", "x/b", port, expected, observed)
	c.Loopback, c.Verdict, c.Target = true, verdict, reports.TargetService
	return c
}

func TestCheckNoEnforcer(t *testing.T) {
	loopback := cell("x/a", "x/a", 80, "blocked", "allowed")
	loopback.Loopback, loopback.Verdict = true, reports.Ignored
	undefined := cell("x/b", "x/c", 80, reports.OutcomeUndefined, "allowed")
	undefined.Verdict = reports.Undefined
	good := []reports.Cell{
		cell("x/a", "x/b", 80, "allowed", "allowed"),
		cell("x/a", "x/c", 80, "blocked", "allowed"),
		cell("outside", "x/b", 80, "blocked", "allowed"),
		cell("x/a", "x/b", 82, "allowed", "skipped"),
		loopback,
	}
	tests := []struct {
		name     string
		cells    []reports.Cell
		want     noEnforcerCheck
		problems []string
	}{
		{"exactly the blocked cells fail", good, noEnforcerCheck{cells: 5, mismatches: 2, passed: 1, ignored: 1, skipped: 1}, nil},
		{"undefined cells are allowed, not failed", append(good[:5:5], undefined), noEnforcerCheck{cells: 6, mismatches: 2, passed: 1, ignored: 1, skipped: 1, undefined: 1}, nil},
		{"a blocked cell still blocked", append(good[:4:4], cell("x/c", "x/b", 80, "blocked", "blocked")),
			noEnforcerCheck{cells: 5, mismatches: 2, passed: 1, skipped: 1},
			[]string{"s / 1 deny x: x/c -> x/b 80/TCP: expected blocked, observed blocked, verdict pass ()"}},
		{"an allowed cell blocked", append(good[:4:4], cell("x/c", "x/b", 80, "allowed", "blocked")),
			noEnforcerCheck{cells: 5, mismatches: 2, passed: 1, skipped: 1},
			[]string{"s / 1 deny x: x/c -> x/b 80/TCP: expected allowed, observed blocked, verdict fail ()"}},
		{"an errored probe", append(good[:4:4], reports.Cell{From: "x/c", To: "x/b", Port: 80, Protocol: "TCP", Expected: "blocked", Observed: "error", Verdict: "error", Detail: "exec failed"}),
			noEnforcerCheck{cells: 5, mismatches: 2, passed: 1, skipped: 1},
			[]string{"s / 1 deny x: x/c -> x/b 80/TCP: expected blocked, observed error, verdict error (exec failed)"}},
		{"a pod's own Service, whatever its hairpin does", append(good[:5:5], hairpin(80, "allowed", "blocked", reports.Ignored), hairpin(81, "blocked", "blocked", "pass")),
			noEnforcerCheck{cells: 7, mismatches: 2, passed: 1, ignored: 3, skipped: 1}, nil},
		{"nothing blocked at all", good[:1], noEnforcerCheck{cells: 1, passed: 1},
			[]string{"no cell is expected blocked: the run tested nothing an enforcer does"}},
	}
	for _, tt := range tests {
		got, problems := checkNoEnforcer(results(tt.cells...))
		if got != tt.want || !reflect.DeepEqual(problems, tt.problems) {
			t.Errorf("%s: %+v, %q; want %+v, %q", tt.name, got, problems, tt.want, tt.problems)
		}
	}
}

func TestCheckNoEnforcerReportsErroredScenarios(t *testing.T) {
	r := results(cell("x/a", "x/c", 80, "blocked", "allowed"))
	r.Scenarios[0].Status, r.Scenarios[0].Error = reports.Error, "setup: probe pods not ready"
	_, problems := checkNoEnforcer(r)
	if want := []string{"s: errored: setup: probe pods not ready"}; !reflect.DeepEqual(problems, want) {
		t.Errorf("problems %q; want %q", problems, want)
	}
}

func writeResults(t *testing.T, r *reports.Results) string {
	t.Helper()
	data, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "results.json")
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestRun(t *testing.T) {
	same := writeResults(t, results(cell("x/a", "x/b", 80, "allowed", "allowed")))
	other := writeResults(t, results(cell("x/a", "x/b", 80, "allowed", "blocked")))
	none := writeResults(t, results(cell("x/a", "x/b", 80, "blocked", "allowed")))
	tests := []struct {
		args           []string
		stdout, stderr string
		err            string
	}{
		{[]string{"same", same, same}, "1 cells: 1 with the same expected and observed verdicts, 0 skipped by the second run for want of external hosts, 0 loopback cells observed differently (ignored, as upstream does)\n", "", ""},
		{[]string{"same", "--external-skipped", same, other}, "1 cells: 0 with the same expected and observed verdicts, 0 skipped by the second run for want of external hosts, 0 loopback cells observed differently (ignored, as upstream does)\n",
			"  s / 1 deny x: x/a -> x/b 80/TCP: observed allowed (), then blocked ()\n", "1 problems"},
		{[]string{"no-enforcer", none}, "1 cells: 1 expected blocked and observed allowed (all of them), 0 passed, 0 loopback ignored, 0 skipped, 0 undefined and allowed\n", "", ""},
		{[]string{"same", same}, "", "", errUsage.Error()},
		{[]string{"no-enforcer"}, "", "", errUsage.Error()},
		{[]string{"compare", same, same}, "", "", errUsage.Error()},
		{nil, "", "", errUsage.Error()},
		{[]string{"no-enforcer", "/nonexistent.json"}, "", "", "open /nonexistent.json: no such file or directory"},
	}
	for _, tt := range tests {
		var stdout, stderr bytes.Buffer
		err := run(tt.args, &stdout, &stderr)
		got := ""
		if err != nil {
			got = err.Error()
		}
		if stdout.String() != tt.stdout || stderr.String() != tt.stderr || got != tt.err {
			t.Errorf("run(%s): stdout %q, stderr %q, err %q; want %q, %q, %q",
				strings.Join(tt.args, " "), stdout.String(), stderr.String(), got, tt.stdout, tt.stderr, tt.err)
		}
	}
}

func TestCompareSameSubset(t *testing.T) {
	first := results(cell("x/a", "x/b", 80, "allowed", "allowed"))
	first.Scenarios = append(first.Scenarios, reports.ScenarioResult{Name: "other", Status: reports.Pass,
		Steps: []reports.StepResult{{Name: "deny x", Cells: []reports.Cell{cell("x/a", "x/b", 81, "blocked", "blocked")}, CellCount: 1}}})

	got, problems := compareSame(first, results(cell("x/a", "x/b", 80, "allowed", "allowed")), false, true)
	if len(problems) != 0 || got.same != 1 || got.notRun != 1 {
		t.Errorf("subset of one scenario: %+v, problems %v; want 1 same, 1 not run", got, problems)
	}
	if _, problems := compareSame(first, results(cell("x/a", "x/b", 80, "allowed", "blocked")), false, true); len(problems) != 1 {
		t.Errorf("subset with a different verdict: problems %v, want one", problems)
	}
	if _, problems := compareSame(first, &reports.Results{}, false, true); !reflect.DeepEqual(problems, []string{"the second run ran no scenario"}) {
		t.Errorf("empty subset run: problems %v, want the empty run named", problems)
	}
	if _, problems := compareSame(first, results(cell("x/a", "x/b", 80, "allowed", "allowed")), false, false); len(problems) != 1 {
		t.Errorf("without --subset: problems %v, want the left-out scenario's cell", problems)
	}
}

func TestCheckConformanceReport(t *testing.T) {
	res := &reports.Results{Scenarios: []reports.ScenarioResult{
		{Name: "cnp-a", Tags: []string{"cnp"}, Status: reports.Pass},
		{Name: "cnp-n", Tags: []string{"cnp", "cnp-port=named"}, Status: reports.Pass},
		{Name: "seed", Tags: []string{"ingress"}, Status: reports.Pass},
		// A v1alpha1 twin is not the report's.
		{Name: "cnp-a-v1alpha1", Tags: []string{"cnp", "api=v1alpha1"}, Status: reports.Skipped},
	}}
	good, err := reports.ConformanceReportYAML(reports.ConformanceReport(res, reports.Implementation{}))
	if err != nil {
		t.Fatal(err)
	}
	if summary, problems := checkConformanceReport(good, res); len(problems) != 0 || !strings.Contains(summary, "2 tests") {
		t.Errorf("a good report: %q, %q", summary, problems)
	}
	failed := *res
	failed.Scenarios = append([]reports.ScenarioResult{{Name: "cnp-f", Tags: []string{"cnp"}, Status: reports.Fail}}, res.Scenarios...)
	bad, _ := reports.ConformanceReportYAML(reports.ConformanceReport(&failed, reports.Implementation{}))
	if _, problems := checkConformanceReport(bad, &failed); len(problems) != 1 || !strings.Contains(problems[0], "result failure") {
		t.Errorf("a failing report: %q", problems)
	}
	if _, problems := checkConformanceReport(good, &failed); len(problems) != 1 || !strings.Contains(problems[0], "counts 2 tests") {
		t.Errorf("a report of other results: %q", problems)
	}
	if _, problems := checkConformanceReport([]byte("kind: ConformanceReport\nextra: 1\n"), res); len(problems) != 1 || !strings.Contains(problems[0], "refuse") {
		t.Errorf("an unknown field: %q", problems)
	}
}

func TestCheckBehaviour(t *testing.T) {
	measured := &reports.Results{Probed: []reports.Observation{
		{Name: "established connection, ingress deny", Value: "kept"},
		{Name: "established connection, egress deny", Value: "cut"},
		{Name: "node to isolated pod", Value: "allowed"},
		{Name: "other node's host network to isolated pod", Value: "blocked"},
		{Name: "enforcer restart", Value: "stayed closed"},
	}}
	if _, problems := checkBehaviour("measured", measured); len(problems) != 0 {
		t.Errorf("measured run: %v", problems)
	}
	if _, problems := checkBehaviour("unmeasured", measured); len(problems) != 5 {
		t.Errorf("measured run taken for one without enforcer: %d problems, want 5", len(problems))
	}
	partial := &reports.Results{Probed: measured.Probed[:1]}
	partial.Probed = append(partial.Probed, reports.Observation{Name: "enforcer restart", Value: "not measured", Detail: "no pods"})
	if _, problems := checkBehaviour("measured", partial); len(problems) != 4 {
		t.Errorf("three missing and an unmeasured observation: %v, want 4 problems", problems)
	}
}
