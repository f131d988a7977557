package e2e

import (
	"context"
	"testing"

	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/e2e-framework/pkg/envconf"
	"sigs.k8s.io/e2e-framework/pkg/features"
	"sigs.k8s.io/e2e-framework/pkg/types"
)

// podNetworkFeature checks the pod network that takes kindnetd's place.
func podNetworkFeature() types.Feature {
	return features.New("pod network").
		Assess("the probe pods sit on three different nodes", assessPodsSpread).
		Assess("every pod reaches every other over TCP and UDP", assessPodMesh).
		Assess("the server sees the client's own address", assessSourceKept).
		Feature()
}

func assessPodsSpread(ctx context.Context, t *testing.T, _ *envconf.Config) context.Context {
	g := NewWithT(t)
	p := podsOf(t, ctx)
	nodes := map[string]bool{p.client.Spec.NodeName: true, p.other.Spec.NodeName: true, p.server.Spec.NodeName: true}
	g.Expect(nodes).To(HaveLen(clusterNodes), "client on %s, other on %s, server on %s",
		p.client.Spec.NodeName, p.other.Spec.NodeName, p.server.Spec.NodeName)
	return ctx
}

// assessPodMesh probes each ordered pair: every cell crosses two nodes.
func assessPodMesh(ctx context.Context, t *testing.T, cfg *envconf.Config) context.Context {
	g := NewWithT(t)
	p := podsOf(t, ctx)
	all := []*corev1.Pod{p.client, p.other, p.server}
	for _, from := range all {
		for _, to := range all {
			if from == to {
				continue
			}
			for _, proto := range []string{"TCP", "UDP"} {
				code, out, err := connectPod(ctx, cfg, from, to, proto)
				g.Expect(err).NotTo(HaveOccurred())
				g.Expect(code).To(Equal(exitAllowed), "%s from %s (%s) to %s (%s):\n%s", proto,
					from.Name, from.Spec.NodeName, to.Name, to.Spec.NodeName, out)
			}
		}
	}
	return ctx
}

// assessSourceKept: NetworkPolicy peers select pods by their own address, so
// no node may masquerade traffic between pods.
func assessSourceKept(ctx context.Context, t *testing.T, cfg *envconf.Config) context.Context {
	g := NewWithT(t)
	p := podsOf(t, ctx)
	code, out, err := connectPod(ctx, cfg, p.client, p.server, "TCP")
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(code).To(Equal(exitAllowed), out)
	saw, err := sawSource(ctx, p.server, p.client.Status.PodIP)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(saw).To(BeTrue(), "node %s tracked no connection from %s to the server", p.server.Spec.NodeName, p.client.Status.PodIP)
	return ctx
}
