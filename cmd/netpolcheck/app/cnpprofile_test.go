package app

import (
	"testing"

	"github.com/netpolcheck/netpolcheck/scenarios/generate"
	"github.com/netpolcheck/netpolcheck/scenarios/library"
)

// The cnp profile is the library's ClusterNetworkPolicy scenarios and the
// full profile's generated ClusterNetworkPolicy cases, and nothing else.
func TestClusterPolicyProfile(t *testing.T) {
	got, err := clusterPolicyProfile()
	if err != nil {
		t.Fatal(err)
	}
	names := map[string]bool{}
	for _, s := range got {
		if !s.UsesClusterPolicies() {
			t.Errorf("%s uses no ClusterNetworkPolicy", s.Name)
		}
		names[s.Name] = true
	}
	builtin, err := library.Builtin()
	if err != nil {
		t.Fatal(err)
	}
	cases, err := generate.ClusterCases(generate.Full)
	if err != nil {
		t.Fatal(err)
	}
	want := 0
	for _, s := range append(builtin, cases...) {
		if s.UsesClusterPolicies() {
			want++
			if !names[s.Name] {
				t.Errorf("%s is missing", s.Name)
			}
		}
	}
	if len(got) != want || len(cases) == 0 {
		t.Errorf("%d scenarios, want %d (%d generated)", len(got), want, len(cases))
	}
}
