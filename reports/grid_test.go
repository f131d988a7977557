package reports

import (
	"reflect"
	"testing"
)

func TestStepGrids(t *testing.T) {
	cell := func(from, to string, port int32, protocol string, verdict Status) Cell {
		return Cell{From: from, To: to, Port: port, Protocol: protocol, Verdict: verdict}
	}
	step := StepResult{
		Ports:     []string{"8080/TCP", "80/TCP"},
		Endpoints: []string{"y/a", "x/a"},
		Cells: []Cell{
			cell("x/a", "y/a", 80, "TCP", "pass"),
			cell("x/a", "y/a", 80, "", "fail"), // a duplicate: the first wins
			cell("y/a", "x/a", 80, "TCP", "fail"),
			cell("z/z", "ext", 80, "TCP", "pass"), // not listed: after the listed ones, sorted
			cell("x/a", "y/a", 443, "TCP", "pass"),
			cell("x/a", "y/a", 53, "UDP", "pass"),
			cell("x/a", "y/a", 53, "TCP", "pass"),
			cell("x/a", "y/a", 8080, "TCP", "pass"),
		},
	}
	type shape struct {
		port       string
		froms, tos []string
	}
	var got []shape
	for _, g := range stepGrids(step) {
		got = append(got, shape{g.port, g.froms, g.tos})
	}
	want := []shape{
		{"8080/TCP", []string{"x/a"}, []string{"y/a"}},
		{"80/TCP", []string{"y/a", "x/a", "z/z"}, []string{"y/a", "x/a", "ext"}},
		{"53/TCP", []string{"x/a"}, []string{"y/a"}},
		{"53/UDP", []string{"x/a"}, []string{"y/a"}},
		{"443/TCP", []string{"x/a"}, []string{"y/a"}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("grids = %+v\nwant %+v", got, want)
	}
	g := stepGrids(step)[1]
	if c, ok := g.cell("x/a", "y/a"); !ok || c.Verdict != "pass" {
		t.Errorf("cell x/a -> y/a = %+v, %v; want the first one, verdict pass", c, ok)
	}
	if _, ok := g.cell("y/a", "y/a"); ok {
		t.Error("cell y/a -> y/a exists, want a hole")
	}
	if grids := stepGrids(StepResult{Ports: []string{"80/TCP"}}); grids != nil {
		t.Errorf("a step without cells has grids %+v, want none", grids)
	}
}

func TestComparePorts(t *testing.T) {
	tests := []struct {
		a, b string
		want int
	}{
		{"80/TCP", "443/TCP", -1},
		{"443/TCP", "80/TCP", 1},
		{"53/TCP", "53/UDP", -1},
		{"80/TCP", "80/TCP", 0},
		{"x/TCP", "1/TCP", -1},
		{"bad", "bad2", -1},
	}
	for _, tt := range tests {
		if got := comparePorts(tt.a, tt.b); got != tt.want {
			t.Errorf("comparePorts(%q, %q) = %d, want %d", tt.a, tt.b, got, tt.want)
		}
	}
}

func TestGlyphs(t *testing.T) {
	tests := []struct {
		value            string
		outcome, verdict string
	}{
		{"allowed", ".", "?"},
		{"blocked", "X", "?"},
		{"error", "E", "E"},
		{"skipped", "S", "S"},
		{"pass", "?", "."},
		{"fail", "?", "X"},
		{"", "?", "?"},
	}
	for _, tt := range tests {
		if got := outcomeGlyph(Outcome(tt.value)); got != tt.outcome {
			t.Errorf("outcomeGlyph(%q) = %q, want %q", tt.value, got, tt.outcome)
		}
		if got := verdictGlyph(Status(tt.value)); got != tt.verdict {
			t.Errorf("verdictGlyph(%q) = %q, want %q", tt.value, got, tt.verdict)
		}
	}
}
