package kube

import (
	"context"
	"reflect"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/validation/field"
	fakediscovery "k8s.io/client-go/discovery/fake"
	k8stesting "k8s.io/client-go/testing"
	npav1alpha1 "sigs.k8s.io/network-policy-api/apis/v1alpha1"
	npafake "sigs.k8s.io/network-policy-api/pkg/client/clientset/versioned/fake"

	"github.com/netpolcheck/netpolcheck/enforcer/controller"
	"github.com/netpolcheck/netpolcheck/scenarios"
)

// servesAdmin makes the fake cluster's discovery list the v1alpha1 kinds.
func servesAdmin(k *fakeKubelet) {
	d := k.client.Discovery().(*fakediscovery.FakeDiscovery)
	d.Resources = append(d.Resources, &metav1.APIResourceList{
		GroupVersion: controller.AdminPolicyGroupVersion,
		APIResources: []metav1.APIResource{{Name: controller.AdminPolicyResource}, {Name: controller.BaselinePolicyResource}},
	})
}

// adminPolicyAPIOf answers the v1alpha1 channel dry run as a CRD of the
// channel would: the standard one prunes networks and refuses the peer.
func adminPolicyAPIOf(experimental bool, objects ...runtime.Object) *npafake.Clientset {
	c := npafake.NewSimpleClientset(objects...)
	c.PrependReactor("create", "adminnetworkpolicies", func(a k8stesting.Action) (bool, runtime.Object, error) {
		create := a.(k8stesting.CreateActionImpl)
		switch {
		case len(create.CreateOptions.DryRun) == 0:
			return false, nil, nil
		case experimental:
			return true, create.GetObject(), nil
		}
		return true, nil, apierrors.NewInvalid(schema.GroupKind{Group: "policy.networking.k8s.io", Kind: "AdminNetworkPolicy"}, "x",
			field.ErrorList{field.Invalid(field.NewPath("spec", "egress").Index(0).Child("to").Index(0), 0, "should have at least 1 properties")})
	})
	return c
}

func sampleANP() *scenarios.ClusterPolicy {
	return &scenarios.ClusterPolicy{AdminNetworkPolicy: &npav1alpha1.AdminNetworkPolicy{
		ObjectMeta: metav1.ObjectMeta{Name: "deny"},
		Spec: npav1alpha1.AdminNetworkPolicySpec{
			Priority: 5,
			Subject:  npav1alpha1.AdminNetworkPolicySubject{Namespaces: &metav1.LabelSelector{}},
			Ingress: []npav1alpha1.AdminNetworkPolicyIngressRule{{
				Action: npav1alpha1.AdminNetworkPolicyRuleActionDeny,
				From: []npav1alpha1.AdminNetworkPolicyIngressPeer{{Pods: &npav1alpha1.NamespacedPod{
					NamespaceSelector: metav1.LabelSelector{MatchLabels: map[string]string{corev1.LabelMetadataName: "y"}},
				}}},
			}},
		},
	}}
}

func sampleBANP() *scenarios.ClusterPolicy {
	return &scenarios.ClusterPolicy{BaselineAdminNetworkPolicy: &npav1alpha1.BaselineAdminNetworkPolicy{
		ObjectMeta: metav1.ObjectMeta{Name: "default"},
		Spec: npav1alpha1.BaselineAdminNetworkPolicySpec{
			Subject: npav1alpha1.AdminNetworkPolicySubject{Pods: &npav1alpha1.NamespacedPod{}},
			Egress: []npav1alpha1.BaselineAdminNetworkPolicyEgressRule{{
				Action: npav1alpha1.BaselineAdminNetworkPolicyRuleActionDeny,
				To:     []npav1alpha1.BaselineAdminNetworkPolicyEgressPeer{{Namespaces: &metav1.LabelSelector{MatchLabels: map[string]string{corev1.LabelMetadataName: "x"}}}},
			}},
		},
	}}
}

func applyObject(p *scenarios.ClusterPolicy) scenarios.Change {
	return scenarios.Change{Kind: scenarios.ApplyClusterPolicy, ClusterPolicy: p.Tiered(), ClusterPolicyObject: p}
}

// The v1alpha1 kinds are applied as written: an AdminNetworkPolicy under
// the cluster's prefix and the BaselineAdminNetworkPolicy as "default",
// both labelled as the run's, subjects narrowed to the cluster's
// namespaces and namespace names made real; delete and teardown remove them.
func TestAdminPolicyApplyAndTeardown(t *testing.T) {
	k := newFakeCluster(t)
	servesAdmin(k)
	policyAPI := adminPolicyAPIOf(false)
	opts := testOptions()
	opts.PolicyAPI = policyAPI
	b := newTestBackend(t, k, &fakeExec{}, opts)
	caps := b.Capabilities()
	if !caps.AdminNetworkPolicy || caps.AdminNetworkPolicyExperimental || caps.ClusterNetworkPolicy {
		t.Fatalf("capabilities %+v: the cluster serves the standard v1alpha1 kinds only", caps)
	}
	c, _ := setUp(t, b, xyWorld())
	ctx := context.Background()
	if _, err := c.Apply(ctx, applyObject(sampleANP())); err != nil {
		t.Fatal(err)
	}
	anp, err := policyAPI.PolicyV1alpha1().AdminNetworkPolicies().Get(ctx, "npc-r1-0-deny", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	owned := map[string]string{RunLabel: "r1", ClusterLabel: "r1-0"}
	if !reflect.DeepEqual(anp.Labels, owned) || !reflect.DeepEqual(anp.Spec.Subject.Namespaces.MatchLabels, map[string]string{ClusterLabel: "r1-0"}) {
		t.Errorf("labels %v, subject %v", anp.Labels, anp.Spec.Subject.Namespaces)
	}
	if peer := anp.Spec.Ingress[0].From[0].Pods.NamespaceSelector.MatchLabels[corev1.LabelMetadataName]; peer != "npc-r1-0-y" || anp.Spec.Priority != 5 {
		t.Errorf("peer namespace %q, priority %d", peer, anp.Spec.Priority)
	}
	if _, err := c.Apply(ctx, applyObject(sampleBANP())); err != nil {
		t.Fatal(err)
	}
	banp, err := policyAPI.PolicyV1alpha1().BaselineAdminNetworkPolicies().Get(ctx, "default", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(banp.Labels, owned) || banp.Spec.Subject.Pods.NamespaceSelector.MatchLabels[ClusterLabel] != "r1-0" ||
		banp.Spec.Egress[0].To[0].Namespaces.MatchLabels[corev1.LabelMetadataName] != "npc-r1-0-x" {
		t.Errorf("baseline %+v", banp)
	}
	// Applying the baseline again updates it.
	if _, err := c.Apply(ctx, applyObject(sampleBANP())); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Apply(ctx, scenarios.Change{Kind: scenarios.DeleteClusterPolicy, PolicyKey: "AdminNetworkPolicy/deny"}); err != nil {
		t.Fatal(err)
	}
	if list, _ := policyAPI.PolicyV1alpha1().AdminNetworkPolicies().List(ctx, metav1.ListOptions{}); len(list.Items) != 0 {
		t.Errorf("%d AdminNetworkPolicies after delete", len(list.Items))
	}
	if _, err := c.Apply(ctx, applyObject(sampleANP())); err != nil {
		t.Fatal(err)
	}
	if err := c.Teardown(ctx); err != nil {
		t.Fatal(err)
	}
	admins, _ := policyAPI.PolicyV1alpha1().AdminNetworkPolicies().List(ctx, metav1.ListOptions{})
	baselines, _ := policyAPI.PolicyV1alpha1().BaselineAdminNetworkPolicies().List(ctx, metav1.ListOptions{})
	if len(admins.Items)+len(baselines.Items) != 0 || c.holdsBaseline || len(b.baselineToken) != 0 {
		t.Errorf("after teardown: %d admin, %d baseline policies, holds %v, token %d", len(admins.Items), len(baselines.Items), c.holdsBaseline, len(b.baselineToken))
	}
}

// The BaselineAdminNetworkPolicy is one object cluster wide: a second
// cluster's waits until the first deletes its own, and one that is not
// the run's is never replaced.
func TestBaselineAdminPolicyIsHeldByOneClusterAtATime(t *testing.T) {
	k := newFakeCluster(t)
	servesAdmin(k)
	policyAPI := adminPolicyAPIOf(true)
	opts := testOptions()
	opts.PolicyAPI = policyAPI
	b := newTestBackend(t, k, &fakeExec{}, opts)
	if !b.Capabilities().AdminNetworkPolicyExperimental {
		t.Error("the experimental channel was not told apart")
	}
	first, _ := setUp(t, b, xyWorld())
	second, _ := setUp(t, b, xyWorld())
	ctx := context.Background()
	if _, err := first.Apply(ctx, applyObject(sampleBANP())); err != nil {
		t.Fatal(err)
	}
	short, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel()
	if _, err := second.Apply(short, applyObject(sampleBANP())); err == nil || !strings.Contains(err.Error(), "waiting for another scenario's BaselineAdminNetworkPolicy") {
		t.Fatalf("second cluster's baseline while the first holds it: %v", err)
	}
	done := make(chan error, 1)
	go func() { _, err := second.Apply(ctx, applyObject(sampleBANP())); done <- err }()
	select {
	case err := <-done:
		t.Fatalf("the second cluster's baseline did not wait: %v", err)
	case <-time.After(50 * time.Millisecond):
	}
	if _, err := first.Apply(ctx, scenarios.Change{Kind: scenarios.DeleteClusterPolicy, PolicyKey: "BaselineAdminNetworkPolicy/default"}); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	got, _ := policyAPI.PolicyV1alpha1().BaselineAdminNetworkPolicies().Get(ctx, "default", metav1.GetOptions{})
	if got.Labels[ClusterLabel] != second.names.clusterID() {
		t.Errorf("baseline labels %v, want the second cluster's", got.Labels)
	}
	if err := second.Teardown(ctx); err != nil {
		t.Fatal(err)
	}

	// The cluster's own baseline is left alone, with an error that says why.
	own := &npav1alpha1.BaselineAdminNetworkPolicy{ObjectMeta: metav1.ObjectMeta{Name: "default"}}
	if _, err := policyAPI.PolicyV1alpha1().BaselineAdminNetworkPolicies().Create(ctx, own, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := first.Apply(ctx, applyObject(sampleBANP())); err == nil || !strings.Contains(err.Error(), "has a BaselineAdminNetworkPolicy default of its own") {
		t.Errorf("applying over the cluster's own baseline: %v", err)
	}
	if err := first.Teardown(ctx); err != nil {
		t.Fatal(err)
	}
	if got, err := policyAPI.PolicyV1alpha1().BaselineAdminNetworkPolicies().Get(ctx, "default", metav1.GetOptions{}); err != nil || len(got.Labels) != 0 {
		t.Errorf("the cluster's own baseline: %v, %v", got, err)
	}
}

// Without the CRDs, scenarios with v1alpha1 policies are skipped saying
// why, and a scenario's experimental fields name the flag that helps.
func TestAdminPolicySkipReasons(t *testing.T) {
	opts := testOptions()
	opts.PolicyAPI = npafake.NewSimpleClientset()
	b := newTestBackend(t, newFakeCluster(t), &fakeExec{}, opts)
	twin := &scenarios.Scenario{Name: "s", Steps: []scenarios.Step{{Actions: []scenarios.Action{{ApplyCluster: sampleANP()}}}}}
	if skip := b.Capabilities().ClusterPolicySkip(twin); !strings.Contains(skip, "does not serve AdminNetworkPolicy and BaselineAdminNetworkPolicy") || !strings.Contains(skip, "--knp-manifest install-anp") {
		t.Errorf("skip %q", skip)
	}
	k := newFakeCluster(t)
	servesAdmin(k)
	opts.PolicyAPI = adminPolicyAPIOf(false)
	b = newTestBackend(t, k, &fakeExec{}, opts)
	networks := sampleANP()
	networks.AdminNetworkPolicy.Spec.Egress = []npav1alpha1.AdminNetworkPolicyEgressRule{{Action: "Deny", To: []npav1alpha1.AdminNetworkPolicyEgressPeer{{Networks: []npav1alpha1.CIDR{"10.0.0.0/8"}}}}}
	twin.Steps[0].Actions[0].ApplyCluster = networks
	if skip := b.Capabilities().ClusterPolicySkip(twin); !strings.Contains(skip, "uses networks of the experimental channel of the v1alpha1 CRDs") {
		t.Errorf("skip %q", skip)
	}
	if skip := b.Capabilities().ClusterPolicySkip(&scenarios.Scenario{}); skip != "" {
		t.Errorf("a scenario without cluster policies is skipped: %q", skip)
	}
}

// Clean removes the v1alpha1 policies of runs without a live namespace,
// and never one that is not a run's.
func TestCleanAdminPolicies(t *testing.T) {
	k := newFakeCluster(t)
	servesAdmin(k)
	anp := func(name, run string) *npav1alpha1.AdminNetworkPolicy {
		p := &npav1alpha1.AdminNetworkPolicy{ObjectMeta: metav1.ObjectMeta{Name: name}}
		if run != "" {
			p.Labels = map[string]string{RunLabel: run}
		}
		return p
	}
	dead := &npav1alpha1.BaselineAdminNetworkPolicy{ObjectMeta: metav1.ObjectMeta{Name: "default", Labels: map[string]string{RunLabel: "dead"}}}
	policyAPI := npafake.NewSimpleClientset(anp("npc-dead-0-a", "dead"), anp("admins-own", ""), anp("forged", "dead"), dead)
	removed, err := clean(context.Background(), k.client, policyAPI, false, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"AdminNetworkPolicy/npc-dead-0-a", "BaselineAdminNetworkPolicy/default"}; !reflect.DeepEqual(removed, want) {
		t.Errorf("removed %q, want %q", removed, want)
	}
	if list, _ := policyAPI.PolicyV1alpha1().AdminNetworkPolicies().List(context.Background(), metav1.ListOptions{}); len(list.Items) != 2 {
		t.Errorf("%d AdminNetworkPolicies left, want the two not the run's", len(list.Items))
	}
}
