package kube

import (
	"reflect"
	"testing"

	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
)

// policyPeers builds a policy in x whose single ingress and egress rule each
// have one peer with the given namespace selector.
func policyPeers(sel *metav1.LabelSelector) *networkingv1.NetworkPolicy {
	return &networkingv1.NetworkPolicy{
		ObjectMeta: metav1.ObjectMeta{Name: "p", Namespace: "x", Labels: map[string]string{"l": "1"}, ResourceVersion: "7", UID: "scenario-uid"},
		Spec: networkingv1.NetworkPolicySpec{
			PodSelector: metav1.LabelSelector{MatchLabels: map[string]string{"pod": "a"}},
			Ingress:     []networkingv1.NetworkPolicyIngressRule{{From: []networkingv1.NetworkPolicyPeer{{NamespaceSelector: sel.DeepCopy(), PodSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"kubernetes.io/metadata.name": "y"}}}}}},
			Egress:      []networkingv1.NetworkPolicyEgressRule{{To: []networkingv1.NetworkPolicyPeer{{NamespaceSelector: sel.DeepCopy()}, {IPBlock: &networkingv1.IPBlock{CIDR: "10.0.0.0/8", Except: []string{"10.1.0.0/16"}}}}}},
			PolicyTypes: []networkingv1.PolicyType{networkingv1.PolicyTypeIngress, networkingv1.PolicyTypeEgress},
		},
	}
}

func TestPolicyRewritesNamespaceNameTerms(t *testing.T) {
	in := func(vals ...string) metav1.LabelSelectorRequirement {
		return metav1.LabelSelectorRequirement{Key: "kubernetes.io/metadata.name", Operator: metav1.LabelSelectorOpIn, Values: vals}
	}
	tests := []struct {
		name      string
		sel, want *metav1.LabelSelector
	}{
		{
			name: "matchLabels names a namespace",
			sel:  &metav1.LabelSelector{MatchLabels: map[string]string{"kubernetes.io/metadata.name": "y", "team": "y"}},
			want: &metav1.LabelSelector{MatchLabels: map[string]string{"kubernetes.io/metadata.name": "npc-r1-3-y", "team": "y"}},
		},
		{
			name: "In and NotIn name namespaces",
			sel: &metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{
				in("y", "z"),
				{Key: "kubernetes.io/metadata.name", Operator: metav1.LabelSelectorOpNotIn, Values: []string{"x"}},
			}},
			want: &metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{
				in("npc-r1-3-y", "npc-r1-3-z"),
				{Key: "kubernetes.io/metadata.name", Operator: metav1.LabelSelectorOpNotIn, Values: []string{"npc-r1-3-x"}},
			}},
		},
		{
			name: "Exists and other keys stay",
			sel: &metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{
				{Key: "kubernetes.io/metadata.name", Operator: metav1.LabelSelectorOpExists},
				{Key: "team", Operator: metav1.LabelSelectorOpIn, Values: []string{"y"}},
			}},
			want: &metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{
				{Key: "kubernetes.io/metadata.name", Operator: metav1.LabelSelectorOpExists},
				{Key: "team", Operator: metav1.LabelSelectorOpIn, Values: []string{"y"}},
			}},
		},
		{
			name: "empty selector selects every namespace in both worlds",
			sel:  &metav1.LabelSelector{},
			want: &metav1.LabelSelector{},
		},
		{
			name: "a name no namespace can have stays",
			sel:  &metav1.LabelSelector{MatchLabels: map[string]string{"kubernetes.io/metadata.name": "Not_A_Name"}},
			want: &metav1.LabelSelector{MatchLabels: map[string]string{"kubernetes.io/metadata.name": "Not_A_Name"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := newNamespaceNames("r1", 3)
			orig := policyPeers(tt.sel)
			before := orig.DeepCopy()
			got := m.policy(orig)

			want := policyPeers(tt.want)
			want.Namespace = "npc-r1-3-x"
			want.ResourceVersion, want.UID = "", ""
			if !reflect.DeepEqual(got, want) {
				t.Errorf("policy() =\n%+v\nwant\n%+v", got, want)
			}
			if !reflect.DeepEqual(orig, before) {
				t.Error("policy() changed the scenario's policy")
			}
		})
	}
}

// TestRewrittenSelectorSelectsRealNamespace checks the rewritten selector
// against the labels the real namespaces carry, as the API server sets them.
func TestRewrittenSelectorSelectsRealNamespace(t *testing.T) {
	m := newNamespaceNames("r1", 0)
	p := policyPeers(&metav1.LabelSelector{MatchLabels: map[string]string{"kubernetes.io/metadata.name": "y"}})
	got := m.policy(p).Spec.Ingress[0].From[0].NamespaceSelector
	sel, err := metav1.LabelSelectorAsSelector(got)
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		ns   string
		want bool
	}{{"y", true}, {"x", false}} {
		real := labels.Set(m.namespaceLabels(tt.ns, map[string]string{"kubernetes.io/metadata.name": tt.ns}, "r1"))
		if sel.Matches(real) != tt.want {
			t.Errorf("selector %s matches npc-r1-0-%s (%v) = %v, want %v", sel, tt.ns, real, !tt.want, tt.want)
		}
	}
}

func TestNamespaceLabels(t *testing.T) {
	m := newNamespaceNames("r1", 2)
	scenarioLabels := map[string]string{"kubernetes.io/metadata.name": "x", "team": "red"}
	got := m.namespaceLabels("x", scenarioLabels, "r1")
	want := map[string]string{"kubernetes.io/metadata.name": "npc-r1-2-x", "team": "red", RunLabel: "r1", ClusterLabel: "r1-2"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("namespaceLabels = %v, want %v", got, want)
	}
	if scenarioLabels["kubernetes.io/metadata.name"] != "x" {
		t.Error("namespaceLabels changed the scenario's labels")
	}
	if got := m.namespaceLabels("z", nil, "r1"); !reflect.DeepEqual(got, map[string]string{"kubernetes.io/metadata.name": "npc-r1-2-z", RunLabel: "r1", ClusterLabel: "r1-2"}) {
		t.Errorf("namespaceLabels without labels = %v", got)
	}
}
