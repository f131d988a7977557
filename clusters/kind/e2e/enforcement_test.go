package e2e

import (
	"context"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	appsv1 "k8s.io/api/apps/v1"
	networkingv1 "k8s.io/api/networking/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/e2e-framework/pkg/envconf"
	"sigs.k8s.io/e2e-framework/pkg/features"
	"sigs.k8s.io/e2e-framework/pkg/types"

	"github.com/netpolcheck/netpolcheck/enforcer/manifests"
)

// policyConverge bounds the wait for the enforcers to apply a policy change:
// a sync takes well under a second, but this machine has two cores shared
// by three nodes.
const policyConverge = 30 * time.Second

// baselineKey holds the server node's enforcer metrics before the policy.
type baselineKey struct{}

// serverPolicy isolates the server for ingress and admits only pods labelled
// role=client: the client on one node passes, the other pod on another is
// dropped by the enforcer on the server's node.
func serverPolicy() *networkingv1.NetworkPolicy {
	return &networkingv1.NetworkPolicy{
		ObjectMeta: metav1.ObjectMeta{Name: "server-from-client", Namespace: namespace},
		Spec: networkingv1.NetworkPolicySpec{
			PodSelector: metav1.LabelSelector{MatchLabels: map[string]string{"role": "server"}},
			PolicyTypes: []networkingv1.PolicyType{networkingv1.PolicyTypeIngress},
			Ingress: []networkingv1.NetworkPolicyIngressRule{{
				From: []networkingv1.NetworkPolicyPeer{{PodSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"role": "client"}}}},
			}},
		},
	}
}

// enforcementFeature checks that the reference enforcer enforces across
// nodes, counts what it drops, and lifts a deleted policy.
func enforcementFeature() types.Feature {
	return features.New("reference enforcer").
		Setup(func(ctx context.Context, t *testing.T, _ *envconf.Config) context.Context {
			m, err := enforcerMetrics(ctx, clusterOf(t, ctx).Client(), podsOf(t, ctx).server.Spec.NodeName)
			NewWithT(t).Expect(err).NotTo(HaveOccurred())
			return context.WithValue(ctx, baselineKey{}, m)
		}).
		Assess("the enforcer is Ready on every node", assessEnforcerReady).
		Assess("a policy admits the client and blocks the other pod", assessPolicyEnforced).
		Assess("the server's enforcer counts the drops", assessDropsCounted).
		Assess("deleting the policy lets the other pod in again", assessPolicyLifted).
		Teardown(func(ctx context.Context, t *testing.T, cfg *envconf.Config) context.Context {
			// After a failed assessment, the policy must not reach into the features after this one.
			err := cfg.Client().Resources().Delete(ctx, serverPolicy())
			if err != nil && !apierrors.IsNotFound(err) {
				t.Errorf("delete policy: %v", err)
			}
			return ctx
		}).
		Feature()
}

func assessEnforcerReady(ctx context.Context, t *testing.T, cfg *envconf.Config) context.Context {
	g := NewWithT(t)
	var ds appsv1.DaemonSet
	g.Expect(cfg.Client().Resources().Get(ctx, manifests.Name, manifests.Namespace, &ds)).To(Succeed())
	g.Expect(ds.Status.DesiredNumberScheduled).To(BeEquivalentTo(clusterNodes))
	g.Expect(ds.Status.NumberReady).To(BeEquivalentTo(clusterNodes))
	g.Expect(ds.Status.UpdatedNumberScheduled).To(BeEquivalentTo(clusterNodes))
	image, err := clusterOf(t, ctx).EnforcerImage(ctx)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(image).To(Equal(enforcerImage))
	return ctx
}

func assessPolicyEnforced(ctx context.Context, t *testing.T, cfg *envconf.Config) context.Context {
	g := NewWithT(t)
	p := podsOf(t, ctx)
	g.Expect(cfg.Client().Resources().Create(ctx, serverPolicy())).To(Succeed())
	// The enforcers learn of the policy through their informers: waiting is
	// the honest way to see it take effect.
	g.Eventually(func(g Gomega) {
		code, out, err := connectPod(ctx, cfg, p.other, p.server, "TCP")
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(code).To(Equal(exitBlocked), "TCP from other (%s) to server (%s):\n%s", p.other.Spec.NodeName, p.server.Spec.NodeName, out)
	}).WithTimeout(policyConverge).WithPolling(time.Second).Should(Succeed())
	code, out, err := connectPod(ctx, cfg, p.other, p.server, "UDP")
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(code).To(Equal(exitBlocked), "UDP from other to server:\n%s", out)
	for _, proto := range []string{"TCP", "UDP"} {
		code, out, err := connectPod(ctx, cfg, p.client, p.server, proto)
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(code).To(Equal(exitAllowed), "%s from client (%s) to server (%s):\n%s", proto, p.client.Spec.NodeName, p.server.Spec.NodeName, out)
	}
	// The policy selects only the server: the other pod still takes connections.
	code, out, err = connectPod(ctx, cfg, p.server, p.other, "TCP")
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(code).To(Equal(exitAllowed), "TCP from server to other:\n%s", out)
	return ctx
}

// assessDropsCounted: the drops happened on the server's node, whose
// enforcer reads their records from the datapath's ring buffer.
func assessDropsCounted(ctx context.Context, t *testing.T, _ *envconf.Config) context.Context {
	g := NewWithT(t)
	base := ctx.Value(baselineKey{}).(map[string]float64)
	g.Expect(base).To(HaveKey(ingressDrops))
	g.Expect(base).To(HaveKey(ingressDenied))
	client, node := clusterOf(t, ctx).Client(), podsOf(t, ctx).server.Spec.NodeName
	var now map[string]float64
	// The records are read asynchronously from the ring buffer.
	g.Eventually(func(g Gomega) {
		m, err := enforcerMetrics(ctx, client, node)
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(m[ingressDrops]).To(BeNumerically(">", base[ingressDrops]), "drop records on %s", node)
		g.Expect(m[ingressDenied]).To(BeNumerically(">", base[ingressDenied]), "denied verdicts on %s", node)
		now = m
	}).WithTimeout(10 * time.Second).WithPolling(time.Second).Should(Succeed())
	t.Logf("enforcer on %s: ingress drop records %v -> %v, denied verdicts %v -> %v", node,
		base[ingressDrops], now[ingressDrops], base[ingressDenied], now[ingressDenied])
	return ctx
}

func assessPolicyLifted(ctx context.Context, t *testing.T, cfg *envconf.Config) context.Context {
	g := NewWithT(t)
	p := podsOf(t, ctx)
	g.Expect(cfg.Client().Resources().Delete(ctx, serverPolicy())).To(Succeed())
	g.Eventually(func(g Gomega) {
		code, out, err := connectPod(ctx, cfg, p.other, p.server, "TCP")
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(code).To(Equal(exitAllowed), "TCP from other to server:\n%s", out)
	}).WithTimeout(policyConverge).WithPolling(time.Second).Should(Succeed())
	code, out, err := connectPod(ctx, cfg, p.other, p.server, "UDP")
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(code).To(Equal(exitAllowed), "UDP from other to server:\n%s", out)
	return ctx
}
