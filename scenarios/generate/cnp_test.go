package generate

import (
	"slices"
	"strings"
	"testing"

	"github.com/netpolcheck/netpolcheck/scenarios"
	"github.com/netpolcheck/netpolcheck/scenarios/truth"
)

func clusterCases(t *testing.T, p Profile) []*scenarios.Scenario {
	t.Helper()
	cases, err := ClusterCases(p)
	if err != nil {
		t.Fatal(err)
	}
	return cases
}

// The sizes are pinned: a change to the cluster dimensions or to pruning
// shows here and in docs/generate.md.
func TestClusterProfileSizes(t *testing.T) {
	if n := len(validClusterCombos()); n != 540 {
		t.Errorf("%d valid combos, want 540 (648 less the 108 ingress networks peers)", n)
	}
	for p, want := range map[Profile]int{Quick: 11, Full: 86} {
		if got := len(clusterCases(t, p)); got != want {
			t.Errorf("%s: %d cases, want %d", p, got, want)
		}
	}
}

// Quick covers every pair of values that full holds, and is part of full.
func TestClusterQuickCoversEveryPair(t *testing.T) {
	full := clusterCases(t, Full)
	quick := clusterCases(t, Quick)
	names := map[string]bool{}
	for _, s := range full {
		names[s.Name] = true
	}
	pairs := func(cases []*scenarios.Scenario) map[string]bool {
		out := map[string]bool{}
		for _, s := range cases {
			var dims []string
			for _, tag := range s.Tags {
				if strings.Contains(tag, "=") {
					dims = append(dims, tag)
				}
			}
			for i := range dims {
				for j := i + 1; j < len(dims); j++ {
					out[dims[i]+" "+dims[j]] = true
				}
			}
		}
		return out
	}
	have := pairs(quick)
	for p := range pairs(full) {
		if !have[p] {
			t.Errorf("quick lacks the pair %s", p)
		}
	}
	for _, s := range quick {
		if !names[s.Name] {
			t.Errorf("quick case %s is not in full", s.Name)
		}
	}
}

// Every full case differs from every other in its truth table (undefined
// cells told apart), carries cnp and generated, and has undefined cells
// exactly when it is tagged undefined: equal priorities over the same cells.
func TestClusterCasesDiffer(t *testing.T) {
	seen := map[string]string{}
	for _, s := range clusterCases(t, Full) {
		var key strings.Builder
		undefined := false
		err := simulate(s, func(tb *truth.TruthTable) {
			for c := range tb.Cells() {
				undefined = undefined || c.Undefined
				switch {
				case c.Undefined:
					key.WriteByte('u')
				case c.Allowed:
					key.WriteByte('a')
				default:
					key.WriteByte('b')
				}
			}
		})
		if err != nil {
			t.Fatal(err)
		}
		plain := strings.Join(s.Tags[len(ClusterDimensions()):], ",")
		k := plain + "|" + key.String()
		if other, dup := seen[k]; dup {
			t.Errorf("%s repeats the table of %s", s.Name, other)
		}
		seen[k] = s.Name
		if !slices.Contains(s.Tags, "cnp") || !slices.Contains(s.Tags, "generated") {
			t.Errorf("%s: tags %v lack cnp or generated", s.Name, s.Tags)
		}
		if undefined != slices.Contains(s.Tags, "undefined") {
			t.Errorf("%s: undefined cells %v, but tags %v", s.Name, undefined, s.Tags)
		}
	}
}
