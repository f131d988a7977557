package scenarios

import (
	"reflect"
	"slices"
	"testing"
)

// expectWorld has two namespaces with labelled pods, named ports and two external hosts.
func expectWorld() *World {
	return &World{
		Namespaces: []Namespace{nsOf("x", "team", "x"), nsOf("y", "team", "y")},
		Pods: []Pod{
			{Namespace: "x", Name: "a", Labels: labels("pod", "a"), Ports: []Port{named("http", tcp(80)), udp(81)}},
			{Namespace: "x", Name: "b", Labels: labels("pod", "b"), Ports: []Port{tcp(80), udp(81)}},
			{Namespace: "y", Name: "a", Labels: labels("pod", "a", "tier", "web"), Ports: []Port{tcp(80), udp(81)}},
			{Namespace: "y", Name: "bb", Labels: labels("pod", "b"), Ports: []Port{tcp(80), udp(81)}},
		},
		ExternalHosts: []ExternalHost{{Name: "web", IP: "203.0.113.1"}, {Name: "wiki", IP: "203.0.113.2"}},
	}
}

func TestPeerExpressions(t *testing.T) {
	w := expectWorld()
	tests := []struct {
		expr string
		want []string // matching endpoints, in world order
		err  string
	}{
		{expr: "*", want: []string{"x/a", "x/b", "y/a", "y/bb", "web", "wiki"}},
		{expr: "x/a", want: []string{"x/a"}},
		{expr: "x/*", want: []string{"x/a", "x/b"}},
		{expr: "*/a", want: []string{"x/a", "y/a"}},
		{expr: "*/*", want: []string{"x/a", "x/b", "y/a", "y/bb"}},
		{expr: "y/?", want: []string{"y/a"}},
		{expr: "[xy]/b*", want: []string{"x/b", "y/bb"}},
		{expr: "ns:y", want: []string{"y/a", "y/bb"}},
		{expr: "pod:pod=a", want: []string{"x/a", "y/a"}},
		{expr: "pod:pod=a,tier=web", want: []string{"y/a"}},
		{expr: "nsl:team=x", want: []string{"x/a", "x/b"}},
		{expr: "nsl:kubernetes.io/metadata.name=y", want: []string{"y/a", "y/bb"}},
		{expr: "ext:web", want: []string{"web"}},
		{expr: "ext:*", want: []string{"web", "wiki"}},
		{expr: "ext:w?ki", want: []string{"wiki"}},
		{expr: "q/*", err: `namespace "q" does not exist`},
		{expr: "x/c", err: `pod "x/c" does not exist`},
		{expr: "ns:q", err: `namespace "q" does not exist`},
		{expr: "ext:db", err: `external host "db" does not exist`},
		{expr: "x/[", err: `invalid peer "x/[": bad pattern "["`},
		{expr: "/a", err: `invalid peer "/a": empty name`},
		{expr: "pod:pod", err: `invalid peer "pod:pod": want key=value pairs separated by commas`},
		{expr: "pod:a b=c", err: `invalid peer "pod:a b=c": invalid label key "a b": name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character`},
		{expr: "web", err: `invalid peer "web": want *, ns/pod, ns:NAME, pod:k=v, nsl:k=v or ext:NAME`},
		{expr: "", err: "required: want *, ns/pod, ns:NAME, pod:k=v, nsl:k=v or ext:NAME"},
	}
	for _, tc := range tests {
		t.Run(tc.expr, func(t *testing.T) {
			match, msg := parsePeer(tc.expr, w)
			if msg != tc.err {
				t.Fatalf("error %q, want %q", msg, tc.err)
			}
			if msg != "" {
				return
			}
			var got []string
			for _, e := range endpointsOf(w) {
				if match(e) {
					got = append(got, e.name)
				}
			}
			equalJSON(t, "matches", got, tc.want)
		})
	}
}

func TestOnSyntax(t *testing.T) {
	dest := &endpoint{ports: []Port{named("http", tcp(8080))}}
	probe := []Port{tcp(80), udp(80), tcp(8080), {Port: 90, Protocol: SCTP, Name: "http"}}
	tests := []struct {
		on   string
		want []bool // for each probe port
		err  string
	}{
		{on: "", want: []bool{true, true, true, true}},
		{on: "*", want: []bool{true, true, true, true}},
		{on: "80", want: []bool{true, false, false, false}},
		{on: "80/UDP", want: []bool{false, true, false, false}},
		{on: "80/udp", want: []bool{false, true, false, false}},
		{on: "*/TCP", want: []bool{true, false, true, false}},
		{on: "*/SCTP", want: []bool{false, false, false, true}},
		{on: "http", want: []bool{false, false, true, true}},
		{on: "80/ICMP", err: `invalid port "80/ICMP": unknown protocol "ICMP": must be TCP, UDP or SCTP`},
		{on: "0", err: `invalid port "0": port 0 is out of range 1-65535`},
		{on: "http/TCP", err: `invalid port "http/TCP": want a number or * before the protocol`},
		{on: "HTTP", err: `invalid port "HTTP": neither a number nor a port name: must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-); must contain at least one letter (a-z)`},
	}
	for _, tc := range tests {
		t.Run(tc.on, func(t *testing.T) {
			m, msg := parseOn(tc.on)
			if msg != tc.err {
				t.Fatalf("error %q, want %q", msg, tc.err)
			}
			if msg != "" {
				return
			}
			var got []bool
			for _, p := range probe {
				got = append(got, m.matches(dest, p))
			}
			equalJSON(t, "matches", got, tc.want)
		})
	}
}

func TestGridParsing(t *testing.T) {
	w := expectWorld()
	tests := []struct {
		name string
		grid Grid
		want map[[2]string]bool
		err  string
	}{{
		name: "upstream corner and loopback ignored",
		grid: Grid{Port: "80/TCP", Rows: "-   x/a x/b\nx/a  X   .\n\nx/b  X   .\n"},
		want: map[[2]string]bool{{"x/a", "x/b"}: true, {"x/b", "x/a"}: false},
	}, {
		name: "external hosts and no corner",
		grid: Grid{Port: "81/UDP", Rows: "web x/a\nx/a X .\nweb . X"},
		want: map[[2]string]bool{{"x/a", "web"}: false, {"web", "x/a"}: false},
	}, {
		name: "unknown source",
		grid: Grid{Port: "80/TCP", Rows: "x/a\nq/a ."},
		err:  `grids[0].rows: unknown source "q/a"`,
	}, {
		name: "duplicate destination",
		grid: Grid{Port: "80/TCP", Rows: "x/a x/a\nx/b . ."},
		err:  `grids[0].rows: destination "x/a" appears twice`,
	}, {
		name: "duplicate source",
		grid: Grid{Port: "80/TCP", Rows: "x/a\nx/b .\nx/b ."},
		err:  `grids[0].rows: source "x/b" appears twice`,
	}, {
		name: "bad glyph",
		grid: Grid{Port: "80/TCP", Rows: "x/a\nx/b x"},
		err:  `grids[0].rows: row "x/b": invalid cell "x": want . or X`,
	}, {
		name: "header only",
		grid: Grid{Port: "80/TCP", Rows: "x/a x/b\n"},
		err:  "grids[0].rows: want a header of destinations and at least one row",
	}, {
		name: "port of a whole protocol",
		grid: Grid{Port: "*/TCP", Rows: "x/a\nx/b ."},
		err:  `grids[0].port: invalid port "*/TCP": a grid covers one port such as 80/TCP`,
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			g, errs := parseGrid(tc.grid, w, "grids[0]")
			if got := errs.Error(); got != tc.err {
				t.Fatalf("error %q, want %q", got, tc.err)
			}
			if tc.err == "" && !reflect.DeepEqual(g.cells, tc.want) {
				t.Errorf("cells\n got: %v\nwant: %v", g.cells, tc.want)
			}
		})
	}
}

func TestCompileExpectation(t *testing.T) {
	w := expectWorld()
	e := &Expectation{
		Default: "deny",
		Rules: []ExpectRule{
			AllowRule("*", "x/*", ""),
			DenyRule("ns:y", "x/a", "*/UDP"),
			AllowRule("ext:*", "pod:pod=a", "http"),
		},
		Grids: []Grid{{Port: "80/TCP", Rows: "x/a x/b\nx/b X .\ny/a . X"}},
	}
	allowed, err := CompileExpectation(e, w)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		from, to string
		port     Port
		want     bool
	}{
		{"y/a", "x/a", udp(81), false},               // rule 2 overrides rule 1
		{"y/a", "x/b", udp(81), true},                // rule 1
		{"x/b", "x/a", tcp(80), false},               // the grid overrides rule 1
		{"y/a", "x/b", tcp(80), false},               // the grid again
		{"y/bb", "x/b", tcp(80), true},               // not in the grid: rule 1
		{"x/a", "y/a", tcp(80), false},               // default
		{"web", "y/a", named("http", tcp(80)), true}, // named by the caller
		{"web", "y/a", tcp(80), false},               // y/a's port 80 has no name
		{"web", "x/a", udp(81), true},                // rule 1 covers external sources
		{"nobody", "x/a", tcp(80), false},            // unknown names get the default
		{"x/a", "x/a", tcp(80), true},                // loopback: the grid does not decide
	}
	for _, tc := range tests {
		if got := allowed(tc.from, tc.to, tc.port); got != tc.want {
			t.Errorf("%s -> %s %s: got %v, want %v", tc.from, tc.to, tc.port, got, tc.want)
		}
	}

	// "to: self" covers each source's own cells and nothing else.
	e3 := &Expectation{Default: "deny", Rules: []ExpectRule{AllowRule("ns:x", SelfPeer, "")}}
	allowed3, err := CompileExpectation(e3, w)
	if err != nil {
		t.Fatal(err)
	}
	self := []bool{allowed3("x/a", "x/a", tcp(80)), allowed3("x/b", "x/b", udp(81)), allowed3("x/a", "x/b", tcp(80)), allowed3("y/a", "y/a", tcp(80))}
	equalJSON(t, "to: self", self, []bool{true, true, false, false})

	// A named On matches through the destination's own port when the caller passes no name.
	e2 := &Expectation{Default: "deny", Rules: []ExpectRule{AllowRule("*", "*", "http")}}
	allowed2, err := CompileExpectation(e2, w)
	if err != nil {
		t.Fatal(err)
	}
	got := []bool{allowed2("y/a", "x/a", tcp(80)), allowed2("y/a", "x/b", tcp(80)), allowed2("y/a", "x/a", Port{Port: 80})}
	equalJSON(t, "named port through the world", got, []bool{true, false, true})
}

func TestCompileExpectationErrors(t *testing.T) {
	w := expectWorld()
	tests := []struct {
		name string
		e    *Expectation
		want []string
	}{
		{"missing default", &Expectation{}, []string{"default: required: allow or deny"}},
		{"neither side", &Expectation{Default: "allow", Rules: []ExpectRule{{To: "x/a"}}},
			[]string{"rules[0]: sets none of allow, deny and undefined: a rule sets exactly one"}},
		{"every fault of a rule", &Expectation{Default: "Allow", Rules: []ExpectRule{{Deny: "x/q", To: "", On: "99999"}}},
			[]string{
				`default: invalid default "Allow": want allow or deny`,
				`rules[0].deny: pod "x/q" does not exist`,
				"rules[0].to: required: want *, ns/pod, ns:NAME, pod:k=v, nsl:k=v or ext:NAME",
				`rules[0].on: invalid port "99999": port 99999 is out of range 1-65535`,
			}},
		{"no expectation", nil, []string{"no expectation or world given"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := CompileExpectation(tc.e, w)
			var got []string
			for _, e := range asErrors(err) {
				got = append(got, e.Error())
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("errors\n got: %q\nwant: %q", got, tc.want)
			}
		})
	}
}
