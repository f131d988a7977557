package truth

import (
	"strings"
	"testing"

	"github.com/netpolcheck/netpolcheck/scenarios"
)

// worldOf loads a manifest directory and plays its one step.
func worldOf(t *testing.T, dir string) *scenarios.World {
	t.Helper()
	ss, err := scenarios.LoadPaths([]string{dir})
	if err != nil {
		t.Fatalf("load %s: %v", dir, err)
	}
	return worldAfterSteps(t, ss[0])
}

// TestAdminNetworkPolicyMapsOntoTiers: the same policies written as a
// v1alpha1 AdminNetworkPolicy and BaselineAdminNetworkPolicy, and as
// ClusterNetworkPolicies (Admin priority 10, Baseline priority 1000), mean
// the same cells, and explanations name the objects by their own kind.
func TestAdminNetworkPolicyMapsOntoTiers(t *testing.T) {
	cnp := worldOf(t, "../testdata/tiers/cnp")
	anp := worldOf(t, "../testdata/tiers/anp")
	a, b := Compute(cnp), Compute(anp)
	var cells, allowed int
	for c := range a.Cells() {
		cells++
		tg := a.Targets[c.Target]
		from, to := a.Endpoints[c.Source].ID, a.Endpoints[tg.Endpoint].ID
		got, ok := b.Lookup(from, to, tg.Port.Port, tg.Port.Protocol)
		if !ok || got != c.Allowed {
			t.Errorf("%s -> %s %s: ClusterNetworkPolicy says %v, v1alpha1 %v (found %v)", from, to, tg.Port, c.Allowed, got, ok)
		}
		if c.Allowed {
			allowed++
		}
	}
	if cells != 15 || allowed == 0 || allowed == cells {
		t.Errorf("%d cells, %d allowed: the fixture no longer tells the tiers apart", cells, allowed)
	}
	for _, tc := range []struct{ from, to, want string }{
		{"x/a", "y/b", "Admin anp/tenants prio 10 rule 2: Deny"},
		{"y/b", "y/c", "Baseline banp/default prio 1000 rule 0: Deny"},
	} {
		e, err := Explain(anp, tc.from, tc.to, 80, scenarios.TCP)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(e.String(), tc.want) {
			t.Errorf("%s -> %s: %s, want it to name %q", tc.from, tc.to, e, tc.want)
		}
	}
}
