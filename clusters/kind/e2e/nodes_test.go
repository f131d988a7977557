package e2e

import (
	"context"
	"net/netip"
	"testing"

	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	kindcluster "sigs.k8s.io/kind/pkg/cluster"
	"sigs.k8s.io/kind/pkg/cluster/nodeutils"

	"sigs.k8s.io/e2e-framework/pkg/envconf"
	"sigs.k8s.io/e2e-framework/pkg/features"
	"sigs.k8s.io/e2e-framework/pkg/types"

	"github.com/netpolcheck/netpolcheck/clusters/kind"
)

// nodesFeature checks what Up promises of the nodes.
func nodesFeature() types.Feature {
	return features.New("nodes").
		Assess("every node is Ready with a pod range of its own", assessNodesReady).
		Assess("no node has a default route", assessNoDefaultRoute).
		Assess("the probe and enforcer images are on every node", assessImagesLoaded).
		Assess("a second Up of the name is refused", assessSecondUp).
		Feature()
}

func assessNodesReady(ctx context.Context, t *testing.T, cfg *envconf.Config) context.Context {
	g := NewWithT(t)
	var list corev1.NodeList
	g.Expect(cfg.Client().Resources().List(ctx, &list)).To(Succeed())
	g.Expect(list.Items).To(HaveLen(clusterNodes))
	g.Expect(clusterOf(t, ctx).Nodes()).To(HaveLen(clusterNodes))
	pods := netip.MustParsePrefix(kind.DefaultPodSubnet)
	seen := map[string]string{}
	for _, n := range list.Items {
		g.Expect(n.Status.Conditions).To(ContainElement(And(
			HaveField("Type", corev1.NodeReady), HaveField("Status", corev1.ConditionTrue))), "node %s is not Ready", n.Name)
		cidr, err := netip.ParsePrefix(n.Spec.PodCIDR)
		g.Expect(err).NotTo(HaveOccurred(), "pod CIDR of node %s", n.Name)
		g.Expect(pods.Contains(cidr.Addr()) && cidr.Bits() > pods.Bits()).To(BeTrue(), "node %s has pod CIDR %s, want a range inside %s", n.Name, cidr, pods)
		g.Expect(seen).NotTo(HaveKey(n.Spec.PodCIDR), "node %s shares its pod CIDR with %s", n.Name, seen[n.Spec.PodCIDR])
		seen[n.Spec.PodCIDR] = n.Name
	}
	return ctx
}

// assessNoDefaultRoute: a node without a default route cannot send a test
// packet off this machine.
func assessNoDefaultRoute(ctx context.Context, t *testing.T, _ *envconf.Config) context.Context {
	g := NewWithT(t)
	for _, n := range clusterOf(t, ctx).Nodes() {
		out, err := nodeOutput(ctx, n.Name, "ip", "-4", "route", "show", "default")
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(out).To(BeEmpty(), "node %s still has a default route", n.Name)
	}
	return ctx
}

// assessImagesLoaded asks each node's containerd, as kind load does.
func assessImagesLoaded(ctx context.Context, t *testing.T, _ *envconf.Config) context.Context {
	g := NewWithT(t)
	nodes, err := kindcluster.NewProvider(kindcluster.ProviderWithDocker()).ListNodes(clusterName)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(nodes).To(HaveLen(clusterNodes))
	for _, n := range nodes {
		for _, img := range []string{probeImage, enforcerImage} {
			id, err := nodeutils.ImageID(n, img)
			g.Expect(err).NotTo(HaveOccurred(), "image %s on node %s", img, n)
			g.Expect(id).To(HavePrefix("sha256:"), "image %s on node %s", img, n)
		}
	}
	return ctx
}

// assessSecondUp: Up must refuse a name that has nodes, and its failure must
// not take the existing cluster with it (the features after this one use it).
func assessSecondUp(ctx context.Context, t *testing.T, _ *envconf.Config) context.Context {
	g := NewWithT(t)
	_, err := suite.provider().Up(ctx, clusterName)
	g.Expect(err).To(MatchError("kind cluster " + clusterName + ": already exists: delete it first (Provider.Down)"))
	exists, err := suite.provider().Exists(clusterName)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(exists).To(BeTrue())
	return ctx
}
