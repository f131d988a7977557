package kube

import (
	"context"
	"testing"
	"time"

	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/netpolcheck/netpolcheck/clusters/runner"
	"github.com/netpolcheck/netpolcheck/probes"
	"github.com/netpolcheck/netpolcheck/reports"
	"github.com/netpolcheck/netpolcheck/scenarios"
)

// allowOnlyFromNamespace isolates x/b for ingress and lets in only the
// namespace named ns, by kubernetes.io/metadata.name as users write it.
func allowOnlyFromNamespace(ns string) *networkingv1.NetworkPolicy {
	return &networkingv1.NetworkPolicy{
		ObjectMeta: metav1.ObjectMeta{Name: "b-from-" + ns, Namespace: "x"},
		Spec: networkingv1.NetworkPolicySpec{
			PodSelector: metav1.LabelSelector{MatchLabels: map[string]string{"pod": "b"}},
			Ingress: []networkingv1.NetworkPolicyIngressRule{{From: []networkingv1.NetworkPolicyPeer{{
				NamespaceSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"kubernetes.io/metadata.name": ns}},
			}}}},
			PolicyTypes: []networkingv1.PolicyType{networkingv1.PolicyTypeIngress},
		},
	}
}

// smallScenario is x/a, x/b and y/c on 80/TCP; x/b then accepts only y.
func smallScenario(t testing.TB) *scenarios.Scenario {
	t.Helper()
	s, err := scenarios.New("kube-small").Source(scenarios.SourceGenerated).Tags("ingress", "namespace-selector").
		DefaultPorts(scenarios.Port{Port: 80, Protocol: scenarios.TCP}).
		Namespace("x", nil, scenarios.PodNamed("a", map[string]string{"pod": "a"}), scenarios.PodNamed("b", map[string]string{"pod": "b"})).
		Namespace("y", nil, scenarios.PodNamed("c", map[string]string{"pod": "c"})).
		Step("nothing in force").Expect("allow").
		Step("x/b accepts only y", scenarios.Apply(allowOnlyFromNamespace("y"))).
		Expect("allow", scenarios.DenyRule("x/*", "x/b", "")).
		Build()
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestRunnerDrivesTheBackend runs a scenario through the runner on the fake
// cluster, with an executor that enforces what the policy means: the runner
// sees scenario names, and the namespaces are gone afterwards.
func TestRunnerDrivesTheBackend(t *testing.T) {
	k := newFakeCluster(t)
	policyApplied := func() bool {
		list, _ := k.client.NetworkingV1().NetworkPolicies("npc-r1-0-x").List(context.Background(), metav1.ListOptions{})
		return len(list.Items) == 1
	}
	exec := &fakeExec{answer: func(req ExecRequest, j probes.Job) probes.Result {
		if policyApplied() && j.To == "x/b" && req.Namespace == "npc-r1-0-x" && j.From != "x/b" {
			return probes.Result{Job: j, Outcome: probes.Blocked, Detail: "timeout"}
		}
		return probes.Result{Job: j, Outcome: probes.Allowed, Detail: "answered " + j.Expect}
	}}
	b := newTestBackend(t, k, exec, testOptions())
	res := runner.Run(context.Background(), []*scenarios.Scenario{smallScenario(t)}, runner.Options{Backend: b, Converge: time.Second})
	sc := res.Scenarios[0]
	if sc.Status != reports.Pass || res.Cluster != "kube" {
		t.Fatalf("scenario %s on %s: %s %+v", sc.Status, res.Cluster, sc.Error, sc.Steps)
	}
	if got, want := sc.Steps[1].Endpoints, []string{"x/a", "x/b", "y/c"}; len(got) != 3 || got[0] != want[0] || got[2] != want[2] {
		t.Errorf("endpoints %v, want the scenario's names %v", got, want)
	}
	// Two steps, one probe round each, one exec per source pod.
	if got := b.ExecCalls(); got != 6 {
		t.Errorf("%d execs, want 6", got)
	}
	list, _ := k.client.CoreV1().Namespaces().List(context.Background(), metav1.ListOptions{})
	if len(list.Items) != 0 {
		t.Errorf("%d namespaces left after the run", len(list.Items))
	}
}
