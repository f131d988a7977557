package generate

import (
	"slices"
	"testing"

	"github.com/netpolcheck/netpolcheck/scenarios"
	"github.com/netpolcheck/netpolcheck/scenarios/library"
	"github.com/netpolcheck/netpolcheck/scenarios/truth"
)

// A v1alpha1 twin means what its original means: after every step, the
// oracle's table of the twin (read through the v1alpha1 mapping onto the
// tiers) is the original's, cell for cell, undefined cells included. Over
// the library's ClusterNetworkPolicy scenarios and every generated case.
func TestV1alpha1TwinsMeanWhatTheirOriginalsMean(t *testing.T) {
	builtin, err := library.Builtin()
	if err != nil {
		t.Fatal(err)
	}
	cases, err := ClusterCases(Full)
	if err != nil {
		t.Fatal(err)
	}
	twins, withTwin := 0, 0
	for _, s := range append(slices.DeleteFunc(builtin, func(s *scenarios.Scenario) bool {
		v1alpha2, v1alpha1 := s.ClusterPolicyAPIs()
		return !v1alpha2 || v1alpha1
	}), cases...) {
		twin, ok, reason, err := scenarios.V1alpha1Twin(s)
		if err != nil {
			t.Fatalf("%s: %v", s.Name, err)
		}
		if !ok {
			t.Logf("%s: no twin: %s", s.Name, reason)
			continue
		}
		withTwin++
		if v1alpha2, v1alpha1 := twin.ClusterPolicyAPIs(); v1alpha2 || !v1alpha1 {
			t.Errorf("%s: the twin uses v1alpha2 %v, v1alpha1 %v", twin.Name, v1alpha2, v1alpha1)
		}
		want, got := stepTables(t, s), stepTables(t, twin)
		for i := range want {
			if !slices.Equal(got[i], want[i]) {
				t.Errorf("%s step %d: the twin's table differs from the original's", s.Name, i+1)
			}
		}
		twins++
	}
	// Most cases have a twin; the exceptions are Baseline Pass, Baseline
	// domainNames and several Baseline policies.
	if twins < 50 || twins != withTwin {
		t.Errorf("%d twins checked of %d", twins, withTwin)
	}
}

// stepTables is the oracle's table after each step of s, a cell per byte.
func stepTables(t *testing.T, s *scenarios.Scenario) [][]byte {
	t.Helper()
	st, err := scenarios.NewState(s)
	if err != nil {
		t.Fatalf("%s: %v", s.Name, err)
	}
	var out [][]byte
	for i, step := range s.Steps {
		for _, a := range step.Actions {
			c, err := st.Resolve(a)
			if err == nil {
				err = st.Commit(c)
			}
			if err != nil {
				t.Fatalf("%s step %d: %v", s.Name, i+1, err)
			}
		}
		var table []byte
		for c := range truth.Compute(st.World()).Cells() {
			switch {
			case c.Undefined:
				table = append(table, 'u')
			case c.Allowed:
				table = append(table, 'a')
			default:
				table = append(table, 'b')
			}
		}
		out = append(out, table)
	}
	return out
}
