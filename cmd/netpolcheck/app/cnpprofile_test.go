package app

import (
	"strings"
	"testing"

	"github.com/netpolcheck/netpolcheck/scenarios"
	"github.com/netpolcheck/netpolcheck/scenarios/generate"
	"github.com/netpolcheck/netpolcheck/scenarios/library"
)

// The cnp profile is the library's ClusterNetworkPolicy scenarios and the
// full profile's generated ClusterNetworkPolicy cases, with the v1alpha1
// twins of both, and nothing else.
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
	// The generated cases come with their v1alpha1 twins, as the library's do.
	if cases, err = scenarios.WithV1alpha1Twins(cases); err != nil {
		t.Fatal(err)
	}
	want, twins := 0, 0
	for _, s := range append(builtin, cases...) {
		if s.UsesClusterPolicies() {
			want++
			if !names[s.Name] {
				t.Errorf("%s is missing", s.Name)
			}
			if strings.HasSuffix(s.Name, "-v1alpha1") {
				twins++
			}
		}
	}
	if len(got) != want || len(cases) == 0 || twins < len(cases)/3 {
		t.Errorf("%d scenarios, want %d (%d generated and twins, %d twins)", len(got), want, len(cases), twins)
	}
}
