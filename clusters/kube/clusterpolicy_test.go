package kube

import (
	"context"
	"errors"
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
	"k8s.io/klog/v2"
	npav1alpha2 "sigs.k8s.io/network-policy-api/apis/v1alpha2"
	npafake "sigs.k8s.io/network-policy-api/pkg/client/clientset/versioned/fake"

	"github.com/netpolcheck/netpolcheck/enforcer/controller"
	"github.com/netpolcheck/netpolcheck/scenarios"
)

// servesCNP makes the fake cluster's discovery list ClusterNetworkPolicy.
func servesCNP(k *fakeKubelet) {
	k.client.Discovery().(*fakediscovery.FakeDiscovery).Resources = []*metav1.APIResourceList{{
		GroupVersion: controller.ClusterPolicyGroupVersion,
		APIResources: []metav1.APIResource{{Name: controller.ClusterPolicyResource, Kind: "ClusterNetworkPolicy"}},
	}}
}

// policyAPIOf is a fake network-policy-api client whose server-side dry
// runs, which the fake would carry out, answer as a CRD of the channel
// would: the experimental one takes a domainNames peer, the standard one
// prunes it and refuses the empty peer.
func policyAPIOf(t *testing.T, experimental bool) *npafake.Clientset {
	c := npafake.NewSimpleClientset()
	c.PrependReactor("create", "clusternetworkpolicies", func(a k8stesting.Action) (bool, runtime.Object, error) {
		create := a.(k8stesting.CreateActionImpl)
		if len(create.CreateOptions.DryRun) == 0 {
			return false, nil, nil
		}
		if experimental {
			return true, create.GetObject(), nil
		}
		return true, nil, apierrors.NewInvalid(schema.GroupKind{Group: "policy.networking.k8s.io", Kind: "ClusterNetworkPolicy"}, "x",
			field.ErrorList{field.Invalid(field.NewPath("spec", "egress").Index(0).Child("to").Index(0), 0, "should have at least 1 properties")})
	})
	return c
}

func sampleCNP() *npav1alpha2.ClusterNetworkPolicy {
	return &npav1alpha2.ClusterNetworkPolicy{
		ObjectMeta: metav1.ObjectMeta{Name: "deny"},
		Spec: npav1alpha2.ClusterNetworkPolicySpec{
			Tier: npav1alpha2.AdminTier, Priority: 5,
			Subject: npav1alpha2.ClusterNetworkPolicySubject{Namespaces: &metav1.LabelSelector{}},
			Ingress: []npav1alpha2.ClusterNetworkPolicyIngressRule{{
				Action: npav1alpha2.ClusterNetworkPolicyRuleActionDeny,
				From: []npav1alpha2.ClusterNetworkPolicyIngressPeer{{Pods: &npav1alpha2.NamespacedPod{
					NamespaceSelector: metav1.LabelSelector{MatchLabels: map[string]string{corev1.LabelMetadataName: "y"}},
				}}},
			}},
		},
	}
}

// A cluster policy is applied under the cluster's prefix, labelled as the
// run's, with its subject narrowed to the cluster's own namespaces and its
// namespace names made real; deleting it and tearing down remove it.
func TestClusterPolicyApplyAndTeardown(t *testing.T) {
	k := newFakeCluster(t)
	servesCNP(k)
	policyAPI := policyAPIOf(t, false)
	opts := testOptions()
	opts.PolicyAPI = policyAPI
	b := newTestBackend(t, k, &fakeExec{}, opts)
	if caps := b.Capabilities(); !caps.ClusterNetworkPolicy || caps.ClusterNetworkPolicyExperimental {
		t.Fatalf("capabilities %+v: the cluster serves the standard channel of ClusterNetworkPolicy", caps)
	}
	if skip := b.Capabilities().ClusterNetworkPolicySkip([]string{"domainNames"}); !strings.Contains(skip, "uses domainNames of the experimental channel") {
		t.Errorf("skip reason of a scenario using domainNames: %q", skip)
	}
	c, _ := setUp(t, b, xyWorld())
	ctx := context.Background()
	if _, err := c.Apply(ctx, scenarios.Change{Kind: scenarios.ApplyClusterPolicy, ClusterPolicy: sampleCNP()}); err != nil {
		t.Fatal(err)
	}
	got, err := policyAPI.PolicyV1alpha2().ClusterNetworkPolicies().Get(ctx, "npc-r1-0-deny", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if want := map[string]string{RunLabel: "r1", ClusterLabel: "r1-0"}; !reflect.DeepEqual(got.Labels, want) {
		t.Errorf("labels %v, want %v", got.Labels, want)
	}
	if want := map[string]string{ClusterLabel: "r1-0"}; !reflect.DeepEqual(got.Spec.Subject.Namespaces.MatchLabels, want) {
		t.Errorf("subject %v, want it narrowed to %v", got.Spec.Subject.Namespaces, want)
	}
	if peer := got.Spec.Ingress[0].From[0].Pods.NamespaceSelector.MatchLabels[corev1.LabelMetadataName]; peer != "npc-r1-0-y" {
		t.Errorf("peer namespace %q, want the real npc-r1-0-y", peer)
	}
	// The namespaces carry the label the subject is narrowed to.
	if l := getNamespace(t, k, "npc-r1-0-x").Labels[ClusterLabel]; l != "r1-0" {
		t.Errorf("namespace cluster label %q", l)
	}

	// Applying again replaces it.
	update := sampleCNP()
	update.Spec.Priority = 9
	if _, err := c.Apply(ctx, scenarios.Change{Kind: scenarios.ApplyClusterPolicy, ClusterPolicy: update}); err != nil {
		t.Fatal(err)
	}
	if got, _ := policyAPI.PolicyV1alpha2().ClusterNetworkPolicies().Get(ctx, "npc-r1-0-deny", metav1.GetOptions{}); got.Spec.Priority != 9 {
		t.Errorf("priority after update %d, want 9", got.Spec.Priority)
	}
	if _, err := c.Apply(ctx, scenarios.Change{Kind: scenarios.DeleteClusterPolicy, PolicyKey: "ClusterNetworkPolicy/deny"}); err != nil {
		t.Fatal(err)
	}
	if list, _ := policyAPI.PolicyV1alpha2().ClusterNetworkPolicies().List(ctx, metav1.ListOptions{}); len(list.Items) != 0 {
		t.Errorf("%d cluster policies after delete", len(list.Items))
	}

	// A tiered AdminNetworkPolicy without its object cannot be written back.
	anp := sampleCNP()
	anp.Kind = scenarios.AdminNetworkPolicyKind
	if _, err := c.Apply(ctx, scenarios.Change{Kind: scenarios.ApplyClusterPolicy, ClusterPolicy: anp}); err == nil || !strings.Contains(err.Error(), "carries no AdminNetworkPolicy object") {
		t.Errorf("applying an AdminNetworkPolicy: %v", err)
	}

	if _, err := c.Apply(ctx, scenarios.Change{Kind: scenarios.ApplyClusterPolicy, ClusterPolicy: sampleCNP()}); err != nil {
		t.Fatal(err)
	}
	if err := c.Teardown(ctx); err != nil {
		t.Fatal(err)
	}
	if list, _ := policyAPI.PolicyV1alpha2().ClusterNetworkPolicies().List(ctx, metav1.ListOptions{}); len(list.Items) != 0 {
		t.Errorf("%d cluster policies after teardown", len(list.Items))
	}
}

// The experimental channel is told apart by its dry run.
func TestClusterPolicyExperimentalChannel(t *testing.T) {
	k := newFakeCluster(t)
	servesCNP(k)
	opts := testOptions()
	opts.PolicyAPI = policyAPIOf(t, true)
	b := newTestBackend(t, k, &fakeExec{}, opts)
	if caps := b.Capabilities(); !caps.ClusterNetworkPolicyExperimental || caps.ClusterNetworkPolicySkip([]string{"nodes"}) != "" {
		t.Errorf("capabilities %+v: the cluster takes the experimental channel", caps)
	}
	if list, _ := opts.PolicyAPI.PolicyV1alpha2().ClusterNetworkPolicies().List(context.Background(), metav1.ListOptions{}); len(list.Items) != 0 {
		t.Errorf("the dry run left %d cluster policies", len(list.Items))
	}
}

// A user who may not create cluster policies gets the scenarios without
// them, and the others skipped saying so.
func TestClusterPolicyForbidden(t *testing.T) {
	k := newFakeCluster(t)
	servesCNP(k)
	policyAPI := npafake.NewSimpleClientset()
	policyAPI.PrependReactor("create", "clusternetworkpolicies", func(k8stesting.Action) (bool, runtime.Object, error) {
		return true, nil, apierrors.NewForbidden(schema.GroupResource{Group: "policy.networking.k8s.io", Resource: "clusternetworkpolicies"}, "x", errors.New("RBAC says no"))
	})
	opts := testOptions()
	opts.PolicyAPI = policyAPI
	b := newTestBackend(t, k, &fakeExec{}, opts)
	caps := b.Capabilities()
	if caps.ClusterNetworkPolicy || !strings.Contains(caps.ClusterNetworkPolicySkip(nil), "may not create ClusterNetworkPolicies") {
		t.Errorf("capabilities %+v, skip %q", caps, caps.ClusterNetworkPolicySkip(nil))
	}
}

// Without the CRD, scenarios with cluster policies are skipped saying why.
func TestClusterPolicyCapabilityWithoutCRD(t *testing.T) {
	opts := testOptions()
	opts.PolicyAPI = npafake.NewSimpleClientset()
	b := newTestBackend(t, newFakeCluster(t), &fakeExec{}, opts)
	caps := b.Capabilities()
	if caps.ClusterNetworkPolicy || !strings.Contains(caps.ClusterNetworkPolicySkip(nil), "does not serve ClusterNetworkPolicy") {
		t.Errorf("capabilities %+v, skip %q", caps, caps.ClusterNetworkPolicySkip(nil))
	}
}

// Clean removes the cluster policies of runs without a live namespace,
// and never one that is not a run's.
func TestCleanClusterPolicies(t *testing.T) {
	k := newFakeCluster(t)
	servesCNP(k)
	now := time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)
	live := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{
		Name: "npc-alive-0-x", Labels: map[string]string{RunLabel: "alive"},
		Annotations: map[string]string{ExpiresAnnotation: now.Add(time.Hour).Format(time.RFC3339)},
	}}
	if _, err := k.client.CoreV1().Namespaces().Create(context.Background(), live, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	cnp := func(name, run string) *npav1alpha2.ClusterNetworkPolicy {
		p := &npav1alpha2.ClusterNetworkPolicy{ObjectMeta: metav1.ObjectMeta{Name: name}}
		if run != "" {
			p.Labels = map[string]string{RunLabel: run}
		}
		return p
	}
	policyAPI := npafake.NewSimpleClientset(cnp("npc-alive-0-a", "alive"), cnp("npc-dead-0-a", "dead"), cnp("admins-own", ""), cnp("forged", "dead"))
	removed, err := clean(context.Background(), k.client, policyAPI, false, now)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"ClusterNetworkPolicy/npc-dead-0-a"}; !reflect.DeepEqual(removed, want) {
		t.Errorf("removed %q, want %q", removed, want)
	}
	removed, err = clean(context.Background(), k.client, policyAPI, true, now)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"ClusterNetworkPolicy/npc-alive-0-a", "npc-alive-0-x"}; !reflect.DeepEqual(removed, want) {
		t.Errorf("removed with all %q, want %q", removed, want)
	}
}

// The channel checks' pruned fields are not shown to the user; other
// warnings are.
func TestPrunedFieldWarningsAreDropped(t *testing.T) {
	var logs strings.Builder
	klog.SetOutput(&logs)
	klog.LogToStderr(false)
	defer klog.LogToStderr(true)
	h := prunedFieldWarnings{}
	h.HandleWarningHeader(299, "", `unknown field "spec.egress[0].to[0].networks"`)
	h.HandleWarningHeader(299, "", "policy.networking.k8s.io/v1alpha1 AdminNetworkPolicy is deprecated")
	klog.Flush()
	if strings.Contains(logs.String(), "unknown field") || !strings.Contains(logs.String(), "is deprecated") {
		t.Errorf("logged %q", logs.String())
	}
}
