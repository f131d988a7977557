package controller

import (
	"context"
	"slices"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	npav1alpha1 "sigs.k8s.io/network-policy-api/apis/v1alpha1"
	npafake "sigs.k8s.io/network-policy-api/pkg/client/clientset/versioned/fake"
)

// With AdminPolicyAPI the controller watches the v1alpha1 kinds and
// enforces them: an AdminNetworkPolicy Deny isolates its subject, a
// BaselineAdminNetworkPolicy Deny too, and deleting both lifts it.
func TestControllerEnforcesAdminPolicies(t *testing.T) {
	ctx := context.Background()
	client := newClient(makeNamespace("x"), makePod("x", "a", "192.168.0.1"), makePod("x", "b", "192.168.0.2"))
	admin := npafake.NewSimpleClientset()
	dp := newRecordingDatapath()
	routes := newStaticRoutes(map[string]int{"192.168.0.1": 11, "192.168.0.2": 12})
	c := startController(t, client, Options{NodeName: testNode, Datapath: dp, Routes: routes, AdminPolicyAPI: admin})
	syncTo(t, c, client, 1)

	// Events of the v1alpha1 kinds carry no sync marker: wait for the tables.
	waitIsolation := func(want ...string) {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for {
			got := isolation(dp.lastTables())
			if slices.Equal(got, want) {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("isolation %q, want %q", got, want)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	subject := npav1alpha1.AdminNetworkPolicySubject{Pods: &npav1alpha1.NamespacedPod{
		PodSelector: metav1.LabelSelector{MatchLabels: map[string]string{"pod": "a"}},
	}}
	everyone := []npav1alpha1.AdminNetworkPolicyIngressPeer{{Namespaces: &metav1.LabelSelector{}}}
	anp := &npav1alpha1.AdminNetworkPolicy{
		ObjectMeta: metav1.ObjectMeta{Name: "deny-a"},
		Spec: npav1alpha1.AdminNetworkPolicySpec{Priority: 3, Subject: subject, Ingress: []npav1alpha1.AdminNetworkPolicyIngressRule{{
			Action: npav1alpha1.AdminNetworkPolicyRuleActionDeny, From: everyone,
		}}},
	}
	if _, err := admin.PolicyV1alpha1().AdminNetworkPolicies().Create(ctx, anp, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	waitIsolation("x/a ingress", "x/b -")
	if err := admin.PolicyV1alpha1().AdminNetworkPolicies().Delete(ctx, "deny-a", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	waitIsolation("x/a -", "x/b -")

	banp := &npav1alpha1.BaselineAdminNetworkPolicy{
		ObjectMeta: metav1.ObjectMeta{Name: "default"},
		Spec: npav1alpha1.BaselineAdminNetworkPolicySpec{Subject: subject, Ingress: []npav1alpha1.BaselineAdminNetworkPolicyIngressRule{{
			Action: npav1alpha1.BaselineAdminNetworkPolicyRuleActionDeny, From: everyone,
		}}},
	}
	if _, err := admin.PolicyV1alpha1().BaselineAdminNetworkPolicies().Create(ctx, banp, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	waitIsolation("x/a ingress", "x/b -")
	// The deciding rule is named for its kind in the drop log's terms.
	var policies []string
	for _, r := range dp.lastTables().Rules {
		policies = append(policies, r.Tier+" "+r.Policy)
	}
	if !slices.Equal(policies, []string{"Baseline banp/default"}) {
		t.Errorf("rules %q, want the baseline's, named banp/default", policies)
	}
	if err := admin.PolicyV1alpha1().BaselineAdminNetworkPolicies().Delete(ctx, "default", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	waitIsolation("x/a -", "x/b -")
}
