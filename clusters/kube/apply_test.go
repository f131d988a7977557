package kube

import (
	"context"
	"reflect"
	"testing"

	networkingv1 "k8s.io/api/networking/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/netpolcheck/netpolcheck/clusters"
	"github.com/netpolcheck/netpolcheck/probes"
	"github.com/netpolcheck/netpolcheck/scenarios"
)

func allowFromY(name string, ports ...networkingv1.NetworkPolicyPort) *networkingv1.NetworkPolicy {
	return &networkingv1.NetworkPolicy{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "x"},
		Spec: networkingv1.NetworkPolicySpec{
			Ingress: []networkingv1.NetworkPolicyIngressRule{{
				From:  []networkingv1.NetworkPolicyPeer{{NamespaceSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"kubernetes.io/metadata.name": "y"}}}},
				Ports: ports,
			}},
		},
	}
}

func TestApplyPolicies(t *testing.T) {
	k := newFakeCluster(t)
	b := newTestBackend(t, k, &fakeExec{}, testOptions())
	c, _ := setUp(t, b, xyWorld())
	ctx := context.Background()
	policies := k.client.NetworkingV1().NetworkPolicies("npc-r1-0-x")

	if _, err := c.Apply(ctx, scenarios.Change{Kind: scenarios.ApplyPolicy, Policy: allowFromY("from-y")}); err != nil {
		t.Fatal(err)
	}
	got, err := policies.Get(ctx, "from-y", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if sel := got.Spec.Ingress[0].From[0].NamespaceSelector.MatchLabels; !reflect.DeepEqual(sel, map[string]string{"kubernetes.io/metadata.name": "npc-r1-0-y"}) {
		t.Errorf("namespaceSelector %v, want the real name of y", sel)
	}

	// Applying the same name again replaces the spec (an update step).
	port := networkingv1.NetworkPolicyPort{Port: ptr(intstr.FromString("dns"))}
	if _, err := c.Apply(ctx, scenarios.Change{Kind: scenarios.ApplyPolicy, Policy: allowFromY("from-y", port)}); err != nil {
		t.Fatal(err)
	}
	got, _ = policies.Get(ctx, "from-y", metav1.GetOptions{})
	if ports := got.Spec.Ingress[0].Ports; len(ports) != 1 || ports[0].Port.StrVal != "dns" {
		t.Errorf("after the update the ports are %+v, want the named port dns", ports)
	}

	if _, err := c.Apply(ctx, scenarios.Change{Kind: scenarios.DeletePolicy, PolicyKey: "x/from-y"}); err != nil {
		t.Fatal(err)
	}
	if _, err := policies.Get(ctx, "from-y", metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Errorf("after delete, Get = %v, want NotFound", err)
	}
	_, err = c.Apply(ctx, scenarios.Change{Kind: scenarios.DeletePolicy, PolicyKey: "x/from-y"})
	if got, want := errText(err), `delete policy x/from-y (npc-r1-0-x/from-y): networkpolicies.networking.k8s.io "from-y" not found`; got != want {
		t.Errorf("deleting twice: %q, want %q", got, want)
	}
}

func TestRelabelPodKeepsServiceLabel(t *testing.T) {
	k := newFakeCluster(t)
	opts := testOptions()
	opts.Targets = []probes.Target{probes.TargetPod, probes.TargetService}
	b := newTestBackend(t, k, &fakeExec{}, opts)
	c, _ := setUp(t, b, xyWorld())
	pod := xyWorld().Pods[0]
	pod.Labels = map[string]string{"pod": "a", "role": "db"}
	if _, err := c.Apply(context.Background(), scenarios.Change{Kind: scenarios.LabelPod, Pod: &pod}); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"pod": "a", "role": "db", PodLabel: "np-a"}
	if got := getPod(t, k, "npc-r1-0-x", "a").Labels; !reflect.DeepEqual(got, want) {
		t.Errorf("labels %v, want %v", got, want)
	}
	pod.Labels = nil
	if _, err := c.Apply(context.Background(), scenarios.Change{Kind: scenarios.LabelPod, Pod: &pod}); err != nil {
		t.Fatal(err)
	}
	if got := getPod(t, k, "npc-r1-0-x", "a").Labels; !reflect.DeepEqual(got, map[string]string{PodLabel: "np-a"}) {
		t.Errorf("after removing every label: %v", got)
	}
}

func TestRelabelNamespace(t *testing.T) {
	k := newFakeCluster(t)
	b := newTestBackend(t, k, &fakeExec{}, testOptions())
	c, _ := setUp(t, b, xyWorld())
	ns := scenarios.Namespace{Name: "y", Labels: map[string]string{"kubernetes.io/metadata.name": "y", "team": "blue"}}
	if _, err := c.Apply(context.Background(), scenarios.Change{Kind: scenarios.LabelNamespace, Namespace: &ns}); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"kubernetes.io/metadata.name": "npc-r1-0-y", "team": "blue", RunLabel: "r1", ClusterLabel: "r1-0"}
	if got := getNamespace(t, k, "npc-r1-0-y").Labels; !reflect.DeepEqual(got, want) {
		t.Errorf("labels %v, want %v", got, want)
	}
}

// TestRelabelRefusesANamespaceThatLostItsLabel: if the ownership label is
// gone, the namespace is no longer treated as ours.
func TestRelabelRefusesANamespaceThatLostItsLabel(t *testing.T) {
	k := newFakeCluster(t)
	b := newTestBackend(t, k, &fakeExec{}, testOptions())
	c, _ := setUp(t, b, xyWorld())
	ctx := context.Background()
	y := getNamespace(t, k, "npc-r1-0-y")
	delete(y.Labels, RunLabel)
	if _, err := k.client.CoreV1().Namespaces().Update(ctx, y, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	ns := scenarios.Namespace{Name: "y", Labels: map[string]string{"team": "blue"}}
	_, err := c.Apply(ctx, scenarios.Change{Kind: scenarios.LabelNamespace, Namespace: &ns})
	want := "label namespace y: update namespace npc-r1-0-y: namespace npc-r1-0-y does not carry netpolcheck.io/run=r1; it is not this run's and is left alone"
	if got := errText(err); got != want {
		t.Errorf("error %q, want %q", got, want)
	}
	if got := getNamespace(t, k, "npc-r1-0-y").Labels["team"]; got != "" {
		t.Errorf("the namespace was relabelled anyway: team=%q", got)
	}
}

func TestAddAndRemovePodsAndNamespaces(t *testing.T) {
	k := newFakeCluster(t)
	b := newTestBackend(t, k, &fakeExec{}, testOptions())
	c, _ := setUp(t, b, xyWorld())
	ctx := context.Background()

	z := scenarios.Namespace{Name: "z", Labels: map[string]string{"kubernetes.io/metadata.name": "z"}}
	if _, err := c.Apply(ctx, scenarios.Change{Kind: scenarios.AddNamespace, Namespace: &z}); err != nil {
		t.Fatal(err)
	}
	if getNamespace(t, k, "npc-r1-0-z").Labels[RunLabel] != "r1" {
		t.Error("the new namespace lacks the ownership label")
	}
	pod := scenarios.Pod{Namespace: "z", Name: "c", Labels: map[string]string{"pod": "c"}, Ports: []scenarios.Port{{Port: 80, Protocol: scenarios.TCP}}, IP: "192.168.2.10"}
	addrs, err := c.Apply(ctx, scenarios.Change{Kind: scenarios.AddPod, Pod: &pod})
	if err != nil {
		t.Fatal(err)
	}
	if want := (clusters.Addresses{"z/c": "10.244.0.12"}); !reflect.DeepEqual(addrs, want) {
		t.Errorf("AddPod returned %v, want %v (the planned IP is only a plan)", addrs, want)
	}

	if _, err := c.Apply(ctx, scenarios.Change{Kind: scenarios.RemovePod, Pod: &pod}); err != nil {
		t.Fatal(err)
	}
	if _, err := k.client.CoreV1().Pods("npc-r1-0-z").Get(ctx, "c", metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Errorf("removed pod still there: %v", err)
	}
	if _, err := c.Apply(ctx, scenarios.Change{Kind: scenarios.RemoveNamespace, Namespace: &scenarios.Namespace{Name: "x"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := k.client.CoreV1().Namespaces().Get(ctx, "npc-r1-0-x", metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Errorf("removed namespace still there: %v", err)
	}
	if _, ok := c.pods["x/a"]; ok {
		t.Error("the pods of a removed namespace are still known")
	}
	_, err = c.Apply(ctx, scenarios.Change{Kind: scenarios.AddPod, Pod: &scenarios.Pod{Namespace: "x", Name: "d"}})
	if got, want := errText(err), "add pod x/d: no namespace x in this cluster"; got != want {
		t.Errorf("adding to a removed namespace: %q, want %q", got, want)
	}
}

func TestApplyRefusesMalformedChanges(t *testing.T) {
	k := newFakeCluster(t)
	b := newTestBackend(t, k, &fakeExec{}, testOptions())
	c, _ := setUp(t, b, xyWorld())
	tests := []struct {
		change scenarios.Change
		err    string
	}{
		{scenarios.Change{Kind: scenarios.ApplyPolicy}, "applyPolicy change without a policy"},
		{scenarios.Change{Kind: scenarios.LabelPod}, "labelPod change without a pod"},
		{scenarios.Change{Kind: scenarios.RemoveNamespace}, "removeNamespace change without a namespace"},
		{scenarios.Change{Kind: "explode"}, `unknown change kind "explode"`},
		{scenarios.Change{Kind: scenarios.DeletePolicy, PolicyKey: "x"}, `delete policy "x": not ns/name`},
		{scenarios.Change{Kind: scenarios.RemovePod, Pod: &scenarios.Pod{Namespace: "x", Name: "zz"}}, "remove pod x/zz: no such pod in this cluster"},
		{scenarios.Change{Kind: scenarios.LabelNamespace, Namespace: &scenarios.Namespace{Name: "q"}}, "label namespace q: no such namespace in this cluster"},
	}
	for _, tt := range tests {
		if _, err := c.Apply(context.Background(), tt.change); errText(err) != tt.err {
			t.Errorf("Apply(%+v) = %q, want %q", tt.change, errText(err), tt.err)
		}
	}
}

func TestServiceTargetWaitsForEndpoints(t *testing.T) {
	k := newFakeCluster(t)
	opts := testOptions()
	opts.Targets = []probes.Target{probes.TargetPod, probes.TargetService}
	b := newTestBackend(t, k, &fakeExec{}, opts)
	c, addrs := setUp(t, b, xyWorld())
	if addrs["x/a"] != "10.244.0.10" {
		t.Errorf("Setup returns pod IPs even with service targets, got %v", addrs)
	}
	svc, err := k.client.CoreV1().Services("npc-r1-0-x").Get(context.Background(), "np-a", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if svc.Spec.Selector[PodLabel] != "np-a" || c.pods["x/a"].serviceIP != "10.96.0.10" {
		t.Errorf("service %+v, recorded IP %q", svc.Spec, c.pods["x/a"].serviceIP)
	}
}
