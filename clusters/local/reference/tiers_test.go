package reference

import (
	"context"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	npav1alpha2 "sigs.k8s.io/network-policy-api/apis/v1alpha2"

	"github.com/netpolcheck/netpolcheck/clusters"
	"github.com/netpolcheck/netpolcheck/probes"
	"github.com/netpolcheck/netpolcheck/scenarios"
)

// denyAToB is an Admin ClusterNetworkPolicy denying x/a's traffic to x/b
// on 80/TCP, in the tiered form the scenarios give backends.
func denyAToB(kind string) *npav1alpha2.ClusterNetworkPolicy {
	return &npav1alpha2.ClusterNetworkPolicy{
		TypeMeta:   metav1.TypeMeta{Kind: kind},
		ObjectMeta: metav1.ObjectMeta{Name: "a-not-b"},
		Spec: npav1alpha2.ClusterNetworkPolicySpec{
			Tier: npav1alpha2.AdminTier, Priority: 3,
			Subject: npav1alpha2.ClusterNetworkPolicySubject{Pods: &npav1alpha2.NamespacedPod{
				PodSelector: metav1.LabelSelector{MatchLabels: map[string]string{"pod": "b"}},
			}},
			Ingress: []npav1alpha2.ClusterNetworkPolicyIngressRule{{
				Name: "no-a", Action: npav1alpha2.ClusterNetworkPolicyRuleActionDeny,
				From: []npav1alpha2.ClusterNetworkPolicyIngressPeer{{Pods: &npav1alpha2.NamespacedPod{
					PodSelector: metav1.LabelSelector{MatchLabels: map[string]string{"pod": "a"}},
				}}},
				Protocols: []npav1alpha2.ClusterNetworkPolicyProtocol{{TCP: &npav1alpha2.ClusterNetworkPolicyProtocolTCP{DestinationPort: &npav1alpha2.Port{Number: 80}}}},
			}},
		},
	}
}

// Cluster policies reach the enforcer through the local cluster: an Admin
// Deny beats the NetworkPolicy that allows, its drops name the rule, an
// AdminNetworkPolicy of the same name lives beside it, and deleting both
// lets the NetworkPolicy decide again.
func TestIntegrationReferenceEnforcerTiers(t *testing.T) {
	ctx := context.Background()
	var enf *Enforcer
	c, _ := newReferenceCluster(t, "tiers", &enf)
	if _, err := c.Setup(ctx, testWorld()); err != nil {
		t.Fatal(err)
	}
	probe := func(step string, want map[probes.Job]probes.Outcome) []probes.Result {
		t.Helper()
		if err := c.(clusters.Syncer).Sync(ctx); err != nil {
			t.Fatalf("%s: sync: %v", step, err)
		}
		var jobs []probes.Job
		for j := range want {
			jobs = append(jobs, j)
		}
		results, err := c.Probe(ctx, jobs)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range results {
			if r.Outcome != want[r.Job] {
				t.Errorf("%s: %s -> %s %d/%s is %s (%s), want %s", step, r.Job.From, r.Job.To, r.Job.Port, r.Job.Protocol, r.Outcome, r.Detail, want[r.Job])
			}
		}
		return results
	}
	apply := func(ch scenarios.Change) {
		t.Helper()
		if _, err := c.Apply(ctx, ch); err != nil {
			t.Fatalf("apply %s: %v", ch.Kind, err)
		}
	}

	apply(scenarios.Change{Kind: scenarios.ApplyPolicy, Policy: allowToBFromA()})
	cnp := denyAToB(scenarios.ClusterNetworkPolicyKind)
	apply(scenarios.Change{Kind: scenarios.ApplyClusterPolicy, ClusterPolicy: cnp})
	aToB := job("x/a", "x/b", 80, "TCP")
	probe("Admin Deny over a NetworkPolicy allow", map[probes.Job]probes.Outcome{
		aToB: probes.Blocked, job("x/a", "x/c", 80, "TCP"): probes.Allowed, job("x/c", "x/b", 80, "TCP"): probes.Blocked,
	})
	drops := c.(clusters.DropReporter).Drops(aToB)
	if len(drops) == 0 || !strings.Contains(drops[0], "Admin cnp/a-not-b prio 3 ingress rule 0 (no-a): Deny") {
		t.Errorf("drops of x/a -> x/b = %q, want them to name the Admin rule", drops)
	}
	if drops := c.(clusters.DropReporter).Drops(job("x/c", "x/b", 80, "TCP")); len(drops) == 0 || !strings.Contains(drops[0], "(NetworkPolicy: no rule admits,") {
		t.Errorf("drops of x/c -> x/b = %q, want them to name NetworkPolicy isolation", drops)
	}

	anp := denyAToB(scenarios.AdminNetworkPolicyKind)
	apply(scenarios.Change{Kind: scenarios.ApplyClusterPolicy, ClusterPolicy: anp})
	apply(scenarios.Change{Kind: scenarios.DeleteClusterPolicy, PolicyKey: scenarios.ClusterPolicyKey(scenarios.ClusterNetworkPolicyKind, "a-not-b")})
	probe("the AdminNetworkPolicy of the same name still denies", map[probes.Job]probes.Outcome{aToB: probes.Blocked})
	if drops := c.(clusters.DropReporter).Drops(aToB); len(drops) == 0 || !strings.Contains(drops[0], "cnp/anp.a-not-b") {
		t.Errorf("drops of x/a -> x/b = %q, want them to name the AdminNetworkPolicy", drops)
	}

	apply(scenarios.Change{Kind: scenarios.DeleteClusterPolicy, PolicyKey: scenarios.ClusterPolicyKey(scenarios.AdminNetworkPolicyKind, "a-not-b")})
	probe("both deleted, NetworkPolicy decides", map[probes.Job]probes.Outcome{aToB: probes.Allowed})

	if _, err := c.Apply(ctx, scenarios.Change{Kind: scenarios.DeleteClusterPolicy, PolicyKey: "ClusterNetworkPolicy/none"}); err == nil {
		t.Error("deleting a cluster policy that is not there succeeded")
	}
	if err := c.Teardown(ctx); err != nil {
		t.Fatal(err)
	}
}
