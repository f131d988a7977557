package kind

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	fakediscovery "k8s.io/client-go/discovery/fake"
	"k8s.io/client-go/kubernetes/fake"

	"github.com/netpolcheck/netpolcheck/clusters/kind/knp"
	"github.com/netpolcheck/netpolcheck/enforcer/controller"
)

const nftQueueMissing = "/dev/stdin:3:1-49: Error: Could not process rule: No such file or directory"

func TestKernelHasNFTQueue(t *testing.T) {
	ctx := context.Background()
	c := fakeCluster(fake.NewClientset(), 2, allCaps)
	has, err := c.KernelHasNFTQueue(ctx)
	if err != nil || !has {
		t.Errorf("kernel that takes the probe: %v, %v; want true", has, err)
	}
	probe := "nft -f - <<< " + knp.ProbeScript
	if got := c.nodes[0].node.(*fakeNode).commands(); len(got) != 1 || got[0] != probe {
		t.Errorf("first node ran %q, want only the probe", got)
	}
	if got := c.nodes[1].node.(*fakeNode).commands(); len(got) != 0 {
		t.Errorf("second node ran %q: the nodes share one kernel, one probe is enough", got)
	}

	c.nodes[0].node.(*fakeNode).fail["nft -f -"] = nftQueueMissing
	if has, err := c.KernelHasNFTQueue(ctx); err != nil || has {
		t.Errorf("kernel that refuses the queue rule: %v, %v; want false", has, err)
	}
	c.nodes[0].node.(*fakeNode).fail["nft -f -"] = "nft: command not found"
	if _, err := c.KernelHasNFTQueue(ctx); err == nil || !strings.Contains(err.Error(), "nft: command not found") {
		t.Errorf("unrelated nft failure: %v; want it reported", err)
	}
}

// knpRelease is a module directory holding a small install.yaml of the
// release's shape.
func knpRelease(t *testing.T) string {
	dir := t.TempDir()
	manifest := `---
apiVersion: v1
kind: ServiceAccount
metadata:
  name: kube-network-policies
  namespace: kube-system
---
apiVersion: apps/v1
kind: DaemonSet
metadata:
  name: kube-network-policies
  namespace: kube-system
spec:
  selector:
    matchLabels:
      app: kube-network-policies
  template:
    metadata:
      labels:
        app: kube-network-policies
    spec:
      hostNetwork: true
      containers:
      - name: kube-network-policies
        image: registry.k8s.io/networking/kube-network-policies:v0.7.0
        args: [/bin/netpol, --v=2]
`
	// The same objects stand for both deployments: what differs is the
	// release's business, tested in package knp.
	for _, name := range []string{knp.ManifestFile, knp.AdminManifestFile} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(manifest), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestDeployKubeNetworkPoliciesChecksEveryNodeIsProgrammed(t *testing.T) {
	defer func(d time.Duration) { knpProgramTimeout = d }(knpProgramTimeout)
	knpProgramTimeout = 50 * time.Millisecond
	ctx := context.Background()
	img := knp.Image{Ref: knp.ImageRef(true), ModuleDir: knpRelease(t), Adapted: true}
	listTable := "nft list table inet " + knp.Table

	client := fake.NewClientset()
	rolledOut(client, 3)
	c := fakeCluster(client, 3, allCaps)
	if err := c.DeployKubeNetworkPolicies(ctx, img, knp.ManifestFile, time.Second, true); err != nil {
		t.Fatalf("deploy on nodes that all have the table: %v", err)
	}
	ds, err := client.AppsV1().DaemonSets(knp.Namespace).Get(ctx, knp.Name, metav1.GetOptions{})
	if err != nil || ds.Spec.Template.Spec.Containers[0].Image != img.Ref {
		t.Fatalf("DaemonSet: %v, %v", ds, err)
	}
	if got, err := c.KubeNetworkPoliciesImage(ctx); err != nil || got != img.Ref {
		t.Errorf("KubeNetworkPoliciesImage = %q, %v", got, err)
	}
	for _, n := range c.nodes {
		if got := n.node.(*fakeNode).commands(); len(got) == 0 || got[len(got)-1] != listTable {
			t.Errorf("node %s ran %q; want the table listed", n.node, got)
		}
	}

	// A node without the table: the enforcer runs there and enforces nothing.
	client = fake.NewClientset()
	rolledOut(client, 3)
	c = fakeCluster(client, 3, allCaps)
	c.nodes[1].node.(*fakeNode).fail[listTable] = "Error: No such file or directory"
	err = c.DeployKubeNetworkPolicies(ctx, img, knp.ManifestFile, time.Second, true)
	if err == nil || !strings.Contains(err.Error(), "programmed no nftables table on npc-node1") || strings.Contains(err.Error(), "npc-node0") {
		t.Errorf("deploy with npc-node1 unprogrammed: %v", err)
	}
	// Deployed so on purpose, it is said, not an error.
	var log bytes.Buffer
	c.opts.Log = &log
	if err := c.DeployKubeNetworkPolicies(ctx, img, knp.ManifestFile, time.Second, false); err != nil {
		t.Errorf("deliberate fail-open deployment: %v", err)
	}
	if !strings.Contains(log.String(), "programmed nothing on npc-node1: it enforces nothing (fail-open)") {
		t.Errorf("log %q does not say the cluster fails open", log.String())
	}
}

// On a cluster that serves the v1alpha1 kinds, install.yaml is deployed
// with a warning that they go unenforced; install-anp.yaml without one.
func TestDeployKubeNetworkPoliciesWarnsOfUnenforcedAdminPolicies(t *testing.T) {
	ctx := context.Background()
	img := knp.Image{Ref: knp.ImageRef(true), ModuleDir: knpRelease(t), Adapted: true}
	for _, tt := range []struct {
		manifest string
		served   bool
		warned   bool
	}{
		{knp.ManifestFile, true, true},
		{knp.ManifestFile, false, false},
		{knp.AdminManifestFile, true, false},
	} {
		client := fake.NewClientset()
		rolledOut(client, 1)
		if tt.served {
			client.Discovery().(*fakediscovery.FakeDiscovery).Resources = []*metav1.APIResourceList{{
				GroupVersion: controller.AdminPolicyGroupVersion,
				APIResources: []metav1.APIResource{{Name: controller.AdminPolicyResource}, {Name: controller.BaselinePolicyResource}},
			}}
		}
		c := fakeCluster(client, 1, allCaps)
		var log bytes.Buffer
		c.opts.Log = &log
		if err := c.DeployKubeNetworkPolicies(ctx, img, tt.manifest, time.Second, true); err != nil {
			t.Fatal(err)
		}
		if got := strings.Contains(log.String(), "which "+tt.manifest+" does not enforce"); got != tt.warned {
			t.Errorf("%s, served %v: warned %v, want %v:\n%s", tt.manifest, tt.served, got, tt.warned, log.String())
		}
	}
}

func TestDeployKubeNetworkPoliciesRemovesAnotherBuildFirst(t *testing.T) {
	ctx := context.Background()
	release := knpRelease(t)
	plain := knp.Image{Ref: knp.ImageRef(false), ModuleDir: release}
	adapted := knp.Image{Ref: knp.ImageRef(true), ModuleDir: release, Adapted: true}
	deleteTable := "nft delete table inet " + knp.Table

	client := fake.NewClientset()
	rolledOut(client, 2)
	c := fakeCluster(client, 2, allCaps)
	if err := c.DeployKubeNetworkPolicies(ctx, plain, knp.ManifestFile, time.Second, true); err != nil {
		t.Fatal(err)
	}
	if err := c.DeployKubeNetworkPolicies(ctx, plain, knp.ManifestFile, time.Second, true); err != nil {
		t.Fatal(err)
	}
	for _, n := range c.nodes {
		if slices.Contains(n.node.(*fakeNode).commands(), deleteTable) {
			t.Errorf("%s: the table was deleted for a redeployment of the same build", n.node)
		}
	}
	c.nodes[1].node.(*fakeNode).fail[deleteTable] = "Error: Could not process rule: No such file or directory"
	if err := c.DeployKubeNetworkPolicies(ctx, adapted, knp.ManifestFile, time.Second, true); err != nil {
		t.Fatalf("replacing the plain build: %v", err)
	}
	if !slices.Contains(c.nodes[0].node.(*fakeNode).commands(), deleteTable) {
		t.Error("the plain build's table was left on the first node")
	}
	deletes := 0
	for _, a := range client.Actions() {
		if a.GetVerb() == "delete" && a.GetResource().Resource == "daemonsets" {
			deletes++
		}
	}
	if got, err := c.KubeNetworkPoliciesImage(ctx); deletes != 1 || err != nil || got != adapted.Ref {
		t.Errorf("%d DaemonSet deletes, image %q (%v); want 1 and %s", deletes, got, err, adapted.Ref)
	}
}
