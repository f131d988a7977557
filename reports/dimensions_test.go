package reports

import (
	"bytes"
	"net/url"
	"reflect"
	"strings"
	"testing"
)

// genCase is a one-step run case with dimension tags; its step has one cell
// per protocol, each with the given verdict.
func genCase(name string, status Status, tags string, verdicts map[string]string) ScenarioResult {
	st := StepResult{Name: "create", Status: status}
	for _, protocol := range []string{"TCP", "UDP", "SCTP"} {
		v, ok := verdicts[protocol]
		if !ok {
			continue
		}
		st.Cells = append(st.Cells, Cell{From: "x/a", To: "y/b", Port: 80, Protocol: protocol, Verdict: Status(v)})
	}
	return ScenarioResult{Name: name, Status: status, Tags: append(strings.Split(tags, ","), "generated"), Steps: []StepResult{st}}
}

func withSkipReason(sc ScenarioResult) ScenarioResult {
	sc.Steps[0].Skipped = []string{sctpReason}
	return sc
}

var tcpPass = map[string]string{"TCP": "pass"}

// dimensionFixture: named ports fail on egress only; SCTP cells are skipped.
func dimensionFixture() *Results {
	return &Results{Mode: "run", Cluster: "local", Scenarios: []ScenarioResult{
		genCase("ingress-named", Pass, "direction=ingress,port=named,protocol=tcp", tcpPass),
		genCase("ingress-named-2", Pass, "direction=ingress,port=named,protocol=tcp", tcpPass),
		genCase("egress-named", Fail, "direction=egress,port=named,protocol=tcp", map[string]string{"TCP": "fail"}),
		genCase("egress-named-udp", Fail, "direction=egress,port=named,protocol=udp", map[string]string{"TCP": "pass", "UDP": "fail"}),
		genCase("egress-numeric", Pass, "direction=egress,port=numeric,protocol=tcp", tcpPass),
		withSkipReason(genCase("egress-numeric-sctp", Pass, "direction=egress,port=numeric,protocol=sctp", map[string]string{"TCP": "pass", "SCTP": "skipped"})),
		{Name: "hand-written", Status: Fail, Tags: []string{"ingress"}},
	}}
}

func TestDimensionsGroupCasesByTagValue(t *testing.T) {
	table := Dimensions(dimensionFixture())
	if table == nil {
		t.Fatal("no dimension table for cases with dimension tags")
	}
	want := []DimensionResult{
		{Name: "direction", Values: []DimensionValue{
			{Value: "ingress", Status: Pass, Cases: Tally{Passed: 2}},
			{Value: "egress", Status: Fail, Cases: Tally{Passed: 2, Failed: 2}, Failed: []string{"egress-named", "egress-named-udp"}},
		}},
		{Name: "port", Values: []DimensionValue{
			{Value: "named", Status: Fail, Cases: Tally{Passed: 2, Failed: 2}, Failed: []string{"egress-named", "egress-named-udp"}},
			{Value: "numeric", Status: Pass, Cases: Tally{Passed: 2}},
		}},
		{Name: "protocol", Values: []DimensionValue{
			{Value: "tcp", Status: Fail, Cases: Tally{Passed: 3, Failed: 1}, Failed: []string{"egress-named"}},
			{Value: "udp", Status: Fail, Cases: Tally{Failed: 1}, Failed: []string{"egress-named-udp"}},
			// Its TCP cell passed, but no SCTP cell was tested: the SCTP rule went untested.
			{Value: "sctp", Status: Skipped, Cases: Tally{Skipped: 1}, SkipReasons: []string{sctpReason}},
		}},
	}
	if !reflect.DeepEqual(table.Dimensions, want) {
		t.Errorf("dimensions\n%+v\nwant\n%+v", table.Dimensions, want)
	}
	// Neither egress nor named fails alone; together they fail every time.
	wantSuspects := []Suspect{{Values: []string{"direction=egress", "port=named"}, Cases: 2}}
	if !reflect.DeepEqual(table.Suspects, wantSuspects) || table.Widespread {
		t.Errorf("suspects %+v (all failed %v), want %+v", table.Suspects, table.Widespread, wantSuspects)
	}
}

func TestDimensionsSuspects(t *testing.T) {
	cases := func(specs ...[3]string) *Results {
		r := &Results{Mode: "run"}
		for _, s := range specs {
			r.Scenarios = append(r.Scenarios, genCase(s[0], Status(s[1]), s[2], tcpPass))
		}
		return r
	}
	for _, tc := range []struct {
		name       string
		results    *Results
		want       []Suspect
		widespread bool
	}{
		{
			name: "a value failing in every case is named alone, not with each partner",
			results: cases(
				[3]string{"a", "fail", "direction=egress,port=named"},
				[3]string{"b", "fail", "direction=egress,port=numeric"},
				[3]string{"c", "pass", "direction=ingress,port=named"},
				[3]string{"d", "pass", "direction=ingress,port=numeric"}),
			want: []Suspect{{Values: []string{"direction=egress"}, Cases: 2}},
		},
		{
			name: "one failing case names no suspect: every pair of its values would be one",
			results: cases(
				[3]string{"a", "fail", "direction=egress,port=named"},
				[3]string{"b", "pass", "direction=ingress,port=named"},
				[3]string{"c", "pass", "direction=egress,port=numeric"}),
		},
		{
			name: "a pair where some case passed is no suspect",
			results: cases(
				[3]string{"a", "fail", "direction=egress,port=named"},
				[3]string{"b", "pass", "direction=egress,port=named"},
				[3]string{"c", "fail", "direction=ingress,port=numeric"},
				[3]string{"d", "pass", "direction=ingress,port=numeric"}),
		},
		{
			name: "every case failed",
			results: cases(
				[3]string{"a", "fail", "direction=egress"},
				[3]string{"b", "error", "direction=ingress"}),
			widespread: true,
		},
		{
			name: "over half the cases failed",
			results: cases(
				[3]string{"a", "fail", "direction=egress,port=named"},
				[3]string{"b", "fail", "direction=egress,port=named"},
				[3]string{"c", "pass", "direction=ingress,port=named"}),
			widespread: true,
		},
		{
			name: "half the cases failed",
			results: cases(
				[3]string{"a", "fail", "direction=egress,port=named"},
				[3]string{"b", "fail", "direction=egress,port=named"},
				[3]string{"c", "pass", "direction=ingress,port=named"},
				[3]string{"d", "pass", "direction=ingress,port=numeric"}),
			want: []Suspect{{Values: []string{"direction=egress"}, Cases: 2}},
		},
		{
			name:    "every case passed",
			results: cases([3]string{"a", "pass", "direction=egress"}, [3]string{"b", "pass", "direction=egress"}),
		},
		{
			name: "errors count as failures; the most cases first",
			results: cases(
				[3]string{"a", "error", "direction=egress,port=named"},
				[3]string{"b", "fail", "direction=egress,port=named"},
				[3]string{"c", "fail", "direction=ingress,port=range"},
				[3]string{"d", "fail", "direction=ingress,port=range"},
				[3]string{"e", "fail", "direction=ingress,port=range"},
				[3]string{"f", "pass", "direction=ingress,port=named"},
				[3]string{"g", "pass", "direction=egress,port=numeric"},
				[3]string{"h", "pass", "direction=ingress,port=numeric"},
				[3]string{"i", "pass", "direction=ingress,port=numeric"},
				[3]string{"j", "pass", "direction=egress,port=several"}),
			want: []Suspect{{Values: []string{"port=range"}, Cases: 3}, {Values: []string{"direction=egress", "port=named"}, Cases: 2}},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			table := Dimensions(tc.results)
			if table == nil {
				t.Fatal("no table")
			}
			if !reflect.DeepEqual(table.Suspects, tc.want) || table.Widespread != tc.widespread {
				t.Errorf("suspects %+v, all failed %v; want %+v, %v", table.Suspects, table.Widespread, tc.want, tc.widespread)
			}
		})
	}
}

// A tag given twice counts its case once.
func TestDimensionsRepeatedTag(t *testing.T) {
	r := &Results{Mode: "run", Scenarios: []ScenarioResult{genCase("a", Pass, "port=named,port=named", tcpPass)}}
	if got := Dimensions(r).Dimensions[0].Values[0].Cases; got != (Tally{Passed: 1}) {
		t.Errorf("cases %+v, want 1 passed", got)
	}
}

func TestDimensionsAbsentWithoutDimensionTags(t *testing.T) {
	if table := Dimensions(runFixture()); table != nil {
		t.Errorf("a run without dimension tags has a table: %+v", table)
	}
	if Dimensions(nil) != nil {
		t.Error("nil results have a table")
	}
	for _, tag := range []string{"=", "a=", "=b"} {
		r := &Results{Mode: "run", Scenarios: []ScenarioResult{{Name: "x", Status: Pass, Tags: []string{tag}}}}
		if Dimensions(r) != nil {
			t.Errorf("tag %q made a dimension", tag)
		}
	}
}

// A case whose cells were left out (it passed in a large run) is judged for
// its protocol by the per-protocol counts.
func TestDimensionsProtocolFromOmittedCells(t *testing.T) {
	sc := ScenarioResult{Name: "sctp", Status: Pass, Tags: []string{"protocol=sctp"}, Steps: []StepResult{{
		Name: "create", Status: Pass, CellsOmitted: true, CellCount: 4,
		ProtocolCells: map[string]Tally{"TCP": {Passed: 2}, "SCTP": {Skipped: 2}},
	}}}
	tested := sc
	tested.Name, tested.Tags = "tcp", []string{"protocol=tcp"}
	table := Dimensions(&Results{Mode: "run", Scenarios: []ScenarioResult{sc, tested}})
	got := map[string]Status{}
	for _, v := range table.Dimensions[0].Values {
		got[v.Value] = v.Status
	}
	if got["sctp"] != Skipped || got["tcp"] != Pass {
		t.Errorf("statuses %v, want sctp skipped and tcp pass", got)
	}
}

func TestTerminalDimensions(t *testing.T) {
	var b bytes.Buffer
	if err := WriteTerminal(&b, dimensionFixture(), TerminalOptions{}); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, want := range []string{
		"dimensions (a value passes when every case having it passes):",
		"  direction  ingress  PASS  2 cases: 2 passed\n",
		"             egress   FAIL  4 cases: 2 passed, 2 failed; not passed: egress-named, egress-named-udp\n",
		"             sctp     SKIP  1 case: 1 skipped; skipped: " + sctpReason + "\n",
		"failing together (every case with these values failed; select them again with --tags):\n  direction=egress + port=named  all 2 cases failed  --tags direction=egress+port=named\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("the terminal report lacks %q:\n%s", want, out)
		}
	}
	b.Reset()
	sim := dimensionFixture()
	sim.Mode = "simulate"
	if err := WriteTerminal(&b, sim, TerminalOptions{}); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(b.String(), "dimensions (") {
		t.Error("a simulation shows a dimension table; it is about what a cluster enforced")
	}
}

func TestJUnitCarriesDimensions(t *testing.T) {
	got := rootProperties(t, dimensionFixture())
	for name, want := range map[string]string{
		"dimension.direction=egress":       "fail",
		"dimension.direction=egress.cases": "2 passed, 2 failed",
		"dimension.protocol=sctp":          "skipped",
		"dimension.protocol=sctp.skipped":  sctpReason,
		"suspect":                          "direction=egress + port=named: all 2 cases failed",
	} {
		if got[name] != want {
			t.Errorf("property %s = %q, want %q", name, got[name], want)
		}
	}
}

func TestHTMLEmbedsDimensions(t *testing.T) {
	var data struct {
		Dimensions *DimensionTable `json:"dimensions"`
	}
	pageData(t, dimensionFixture(), &data)
	if want := Dimensions(dimensionFixture()); !reflect.DeepEqual(data.Dimensions, want) {
		t.Errorf("embedded dimensions\n%+v\nwant\n%+v", data.Dimensions, want)
	}
}

func TestIntegrationHTMLDimensionsInChromium(t *testing.T) {
	dom := chromiumDOM(t, dimensionFixture())
	for _, want := range []string{
		`<caption>Dimensions: a value passes when every case having it passes</caption>`,
		`<tr><td rowspan="2">direction</td><td><a href="#" class="tag-filter" data-tag="direction=ingress">ingress</a></td><td><span class="badge s-pass">pass</span></td><td>2 passed</td><td></td></tr>`,
		`<tr><td><a href="#" class="tag-filter" data-tag="direction=egress">egress</a></td><td><span class="badge s-fail">fail</span></td><td>2 passed, 2 failed</td><td>egress-named, egress-named-udp</td></tr>`,
		`<li>direction=egress + port=named: all 2 cases failed <a href="#" class="tag-filter" data-tag="direction=egress+port=named"><code>--tags direction=egress+port=named</code></a></li>`,
		`<span class="skip-reason">skipped: ` + sctpReason + `</span>`,
	} {
		if !strings.Contains(dom, want) {
			t.Errorf("the DOM lacks %s\n", want)
		}
	}
}

// The canonical order wins; what it does not list follows in the order of
// first appearance.
func TestDimensionsCanonicalOrder(t *testing.T) {
	r := &Results{Mode: "run", Scenarios: []ScenarioResult{
		genCase("a", Pass, "team=blue,protocol=sctp,direction=egress", tcpPass),
		genCase("b", Pass, "protocol=quic,protocol=udp,direction=ingress", tcpPass),
		genCase("c", Pass, "protocol=tcp,owner=me", tcpPass),
	}, DimensionOrder: []DimensionOrder{
		{Name: "direction", Values: []string{"ingress", "egress"}},
		{Name: "protocol", Values: []string{"tcp", "udp", "sctp"}},
	}}
	var got []string
	for _, d := range Dimensions(r).Dimensions {
		for _, v := range d.Values {
			got = append(got, d.Name+"="+v.Value)
		}
	}
	want := []string{"direction=ingress", "direction=egress", "protocol=tcp", "protocol=udp", "protocol=sctp", "protocol=quic", "team=blue", "owner=me"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("order %v, want %v", got, want)
	}
}

// A link to the page with #tag=a+b shows the cases carrying both tags.
func TestIntegrationHTMLTagFragmentFilters(t *testing.T) {
	dom := chromiumDOMAt(t, dimensionFixture(), "#tag="+url.QueryEscape("direction=egress+port=named"))
	if want := `<span id="shown">2 of 7 scenarios shown</span>`; !strings.Contains(dom, want) {
		t.Errorf("the DOM lacks %s", want)
	}
	if !strings.Contains(dom, `<option value="direction=egress+port=named">direction=egress+port=named</option>`) {
		t.Error("the tag select does not show the filter")
	}
}
