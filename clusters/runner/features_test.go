package runner

import (
	"reflect"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	npav1alpha2 "sigs.k8s.io/network-policy-api/apis/v1alpha2"

	"github.com/netpolcheck/netpolcheck/reports"
	"github.com/netpolcheck/netpolcheck/scenarios"
)

// Policies as an older runner recorded them, without features.
const (
	legacyIngressOnly = "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: deny, namespace: x}\nspec:\n  podSelector: {}\n"
	legacyEgressRules = `apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: out, namespace: x}
spec:
  podSelector: {}
  egress:
  - to:
    - ipBlock: {cidr: 10.0.0.0/8, except: [10.1.0.0/16]}
    ports:
    - {port: dns, protocol: UDP}
    - {port: 8000, endPort: 8080}
`
	legacyEgressChanged = `apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: out, namespace: x}
spec:
  podSelector: {}
  policyTypes: [Egress]
  egress:
  - to:
    - ipBlock: {cidr: 10.0.0.0/8}
`
)

// A results.json from before steps recorded features gets them from its
// policies and neighbours: what the feature table showed then.
func TestAddLegacyFeatures(t *testing.T) {
	step := func(name string, policies ...string) reports.StepResult {
		return reports.StepResult{Name: name, Policies: policies, Endpoints: []string{"x/a", "x/b"}}
	}
	r := &reports.Results{Mode: "run", Scenarios: []reports.ScenarioResult{{Name: "s", Steps: []reports.StepResult{
		step("deny", legacyIngressOnly),
		step("relabel", legacyIngressOnly),
		step("add egress", legacyIngressOnly, legacyEgressRules),
		step("update egress", legacyIngressOnly, legacyEgressChanged),
		step("delete", legacyEgressChanged),
		step("broken", "# x/p: cannot render"),
	}}}}
	r.Scenarios[0].Steps[1].Features = []string{"kept"} // recorded ones stay
	AddLegacyFeatures(r)
	want := [][]string{
		{"ingress"},
		{"kept"},
		{"ingress", "egress", "ip-block", "except", "named-port", "end-port"},
		{"ingress", "egress", "ip-block", "update"},
		{"egress", "ip-block", "delete"},
		{"delete"},
	}
	for i, st := range r.Scenarios[0].Steps {
		if !reflect.DeepEqual(st.Features, want[i]) {
			t.Errorf("step %q features %q, want %q", st.Name, st.Features, want[i])
		}
	}
}

// A run records each step's features as it goes: the policies in force, and
// what changed from the step before.
func TestRunRecordsStepFeatures(t *testing.T) {
	s := twoPods(t, "allow")
	res := Run(t.Context(), []*scenarios.Scenario{s}, Options{})
	got := res.Scenarios[0].Steps[0].Features
	if !reflect.DeepEqual(got, []string{"ingress"}) {
		t.Errorf("features %q, want [ingress]", got)
	}
}

// A step that changes only ClusterNetworkPolicies is an update, a delete or
// neither, but never a relabel.
func TestStepFeaturesCountClusterPolicies(t *testing.T) {
	cnp := func(priority int32) *npav1alpha2.ClusterNetworkPolicy {
		return &npav1alpha2.ClusterNetworkPolicy{ObjectMeta: metav1.ObjectMeta{Name: "c"}, Spec: npav1alpha2.ClusterNetworkPolicySpec{Priority: priority}}
	}
	endpoints := []string{"x/a"}
	shape := func(ps ...*npav1alpha2.ClusterNetworkPolicy) (*scenarios.World, *stepShape) {
		w := &scenarios.World{ClusterPolicies: ps}
		return w, shapeOf(w, endpoints)
	}
	_, none := shape()
	_, one := shape(cnp(1))
	for _, tc := range []struct {
		name string
		prev *stepShape
		now  []*npav1alpha2.ClusterNetworkPolicy
		want []string
	}{
		{"added", none, []*npav1alpha2.ClusterNetworkPolicy{cnp(1)}, nil},
		{"changed", one, []*npav1alpha2.ClusterNetworkPolicy{cnp(2)}, []string{"update"}},
		{"deleted", one, nil, []string{"delete"}},
		{"untouched", one, []*npav1alpha2.ClusterNetworkPolicy{cnp(1)}, []string{"relabel"}},
	} {
		w, now := shape(tc.now...)
		if got := stepFeatures(w, now, tc.prev); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s: features %q, want %q", tc.name, got, tc.want)
		}
	}
}
