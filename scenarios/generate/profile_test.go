package generate

import (
	"reflect"
	"slices"
	"testing"

	"github.com/netpolcheck/netpolcheck/scenarios"
)

func TestCasesRefusesAnUnknownProfile(t *testing.T) {
	for _, p := range []Profile{"", "Quick", "exhaustive"} {
		cases, err := Cases(p)
		want := `unknown profile "` + string(p) + `": want quick or full`
		if err == nil || err.Error() != want || cases != nil {
			t.Errorf("Cases(%q) = %d cases, %v; want nil, %q", p, len(cases), err, want)
		}
	}
}

// TestProfileSizes holds each profile's cases to the combos its selection
// picks, one case per combo with the steps of its step kind, counted from
// the generator rather than pinned.
func TestProfileSizes(t *testing.T) {
	for _, p := range Profiles() {
		t.Run(string(p), func(t *testing.T) {
			picked, err := selection(p, true)
			if err != nil {
				t.Fatal(err)
			}
			wantSteps := 0
			for _, c := range picked {
				wantSteps += stepCount(c)
			}
			cases := profileCases(t, p)
			steps := 0
			for _, s := range cases {
				steps += len(s.Steps)
			}
			if len(cases) != len(picked) || steps != wantSteps {
				t.Errorf("%d cases, %d steps; want %d, %d", len(cases), steps, len(picked), wantSteps)
			}
		})
	}
}

func TestQuickIsInFull(t *testing.T) {
	full := map[string]bool{}
	for _, s := range profileCases(t, Full) {
		full[s.Name] = true
	}
	for _, s := range profileCases(t, Quick) {
		if !full[s.Name] {
			t.Errorf("quick case %s is not in full", s.Name)
		}
	}
}

func TestEveryValueOccursInEveryProfile(t *testing.T) {
	for _, p := range Profiles() {
		seen := map[string]bool{}
		for _, s := range profileCases(t, p) {
			for k, v := range dimensionValues(s) {
				seen[k+"="+v] = true
			}
		}
		for _, d := range Dimensions() {
			for _, v := range d.Values {
				if !seen[d.Name+"="+v] {
					t.Errorf("profile %s: no case has %s=%s", p, d.Name, v)
				}
			}
		}
	}
}

// TestQuickCoversEveryValidPair takes the valid pairs from the whole
// enumeration before pruning, through tags rather than the generator's own
// pair numbering.
func TestQuickCoversEveryValidPair(t *testing.T) {
	pairsOf := func(dims []string) []string {
		var out []string
		for i := range dims {
			for j := i + 1; j < len(dims); j++ {
				out = append(out, dims[i]+" & "+dims[j])
			}
		}
		return out
	}
	valid := map[string]bool{}
	for _, c := range validCombos() {
		for _, p := range pairsOf(dimensionTags(c)) {
			valid[p] = true
		}
	}
	if len(valid) != 371 {
		t.Errorf("%d valid pairs, want 371", len(valid))
	}
	covered := map[string]bool{}
	for _, s := range profileCases(t, Quick) {
		var dims []string
		for _, d := range Dimensions() {
			dims = append(dims, d.Name+"="+dimensionValues(s)[d.Name])
		}
		for _, p := range pairsOf(dims) {
			covered[p] = true
		}
	}
	for p := range valid {
		if !covered[p] {
			t.Errorf("quick misses the pair %s", p)
		}
	}
	for p := range covered {
		if !valid[p] {
			t.Errorf("quick holds the pair %s, which no valid combination has", p)
		}
	}
}

func TestCasesAreDeterministic(t *testing.T) {
	for _, p := range Profiles() {
		again, err := Cases(p)
		if err != nil {
			t.Fatal(err)
		}
		first := profileCases(t, p)
		if !reflect.DeepEqual(first, again) {
			t.Errorf("profile %s: two calls differ", p)
		}
		n := names(first)
		sorted := slices.Clone(n)
		slices.Sort(sorted)
		if d := len(sorted) - len(slices.Compact(sorted)); d != 0 {
			t.Errorf("profile %s: %d repeated names", p, d)
		}
	}
}

// The first and last quick cases pin the order: enumeration order, the
// first dimension varying slowest.
func TestQuickOrder(t *testing.T) {
	n := names(profileCases(t, Quick))
	want := []string{"gen-ingress-all-pod-same-named-sctp-create", "gen-both-expr-deny-same-anyport-tcp-update"}
	if got := []string{n[0], n[len(n)-1]}; !slices.Equal(got, want) {
		t.Errorf("first and last quick cases = %v, want %v", got, want)
	}
}

func TestCaseShape(t *testing.T) {
	wantSteps := map[string]int{StepCreate: 1, StepUpdate: 2, StepDelete: 2, StepRelabelPod: 2, StepRelabelNamespace: 2}
	model := Model()
	for _, s := range profileCases(t, Full) {
		dims := dimensionValues(s)
		switch {
		case s.Source != scenarios.SourceGenerated:
			t.Errorf("%s: source %q", s.Name, s.Source)
		case len(dims) != dimensionCount:
			t.Errorf("%s: dimension tags %v", s.Name, dims)
		case len(s.Steps) != wantSteps[dims[DimStep]]:
			t.Errorf("%s: %d steps for step kind %s", s.Name, len(s.Steps), dims[DimStep])
		case len(s.Steps[0].Actions) != 1 || s.Steps[0].Actions[0].Apply == nil:
			t.Errorf("%s: the first step does not only apply the policy", s.Name)
		case s.Description == "":
			t.Errorf("%s: no description", s.Name)
		case !reflect.DeepEqual(s.Model, model):
			t.Errorf("%s: the model is not the fixed one", s.Name)
		}
		for i, step := range s.Steps {
			if step.Expect != nil {
				t.Errorf("%s: step %d has a hand-written expectation", s.Name, i)
			}
		}
	}
}

// TestFullSimulates walks every full case through the state machine and the
// oracle: every step resolves and every table has the fixed model's shape.
func TestFullSimulates(t *testing.T) {
	// 9 pods and 2 external hosts, 6 ports each; no cell from an external
	// host to an external host.
	const endpoints, targets, cells = 11, 66, 11*66 - 2*12
	for _, s := range profileCases(t, Full) {
		tables, err := walk(s)
		if err != nil {
			t.Errorf("%s: %v", s.Name, err)
			continue
		}
		for i, tt := range tables {
			n := 0
			for range tt.Cells() {
				n++
			}
			if len(tt.Endpoints) != endpoints || len(tt.Targets) != targets || n != cells {
				t.Errorf("%s step %d: %d endpoints, %d targets, %d cells", s.Name, i, len(tt.Endpoints), len(tt.Targets), n)
			}
		}
		if len(tables) != len(s.Steps) {
			t.Errorf("%s: %d tables for %d steps", s.Name, len(tables), len(s.Steps))
		}
	}
}
