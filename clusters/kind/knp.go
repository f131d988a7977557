package kind

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"

	"github.com/netpolcheck/netpolcheck/clusters/kind/knp"
	"github.com/netpolcheck/netpolcheck/enforcer/controller"
)

// knpProgramTimeout bounds the wait, after its pods run, for
// kube-network-policies to program its table on every node: it does so
// within a second of starting.
var knpProgramTimeout = time.Minute

// KernelHasNFTQueue says whether the kernel the nodes share has nftables'
// queue expression, which kube-network-policies needs unadapted. It asks
// the first node's nf_tables with knp.ProbeScript, which changes nothing.
func (c *Cluster) KernelHasNFTQueue(ctx context.Context) (bool, error) {
	if len(c.nodes) == 0 {
		return false, fmt.Errorf("kind cluster %s: no nodes", c.name)
	}
	n := c.nodes[0].node
	var out bytes.Buffer
	err := n.CommandContext(ctx, "nft", "-f", "-").SetStdin(strings.NewReader(knp.ProbeScript)).SetStdout(&out).SetStderr(&out).Run()
	switch {
	case err == nil:
		return true, nil
	case knp.QueueMissing(out.String()):
		return false, nil
	}
	return false, fmt.Errorf("kind cluster %s: probe nftables' queue expression on %s: %w: %s", c.name, n, err, strings.TrimSpace(out.String()))
}

// DeployKubeNetworkPolicies creates the objects of the release's
// manifest (knp.ManifestFile or knp.AdminManifestFile) with img, waits, at most timeout, until its pods run on every
// node, and then until each node has the enforcer's nftables table: its pods
// are Ready even when programming failed, and then nothing is enforced.
// With programmed false (a deliberate deployment of an unadapted build on a
// kernel that cannot run it) a missing table is reported, not an error.
func (c *Cluster) DeployKubeNetworkPolicies(ctx context.Context, img knp.Image, manifest string, timeout time.Duration, programmed bool) error {
	start := time.Now()
	objs, err := knp.Objects(img.ModuleDir, manifest, img.Ref)
	if err != nil {
		return fmt.Errorf("kind cluster %s: deploy kube-network-policies: %w", c.name, err)
	}
	if err := c.removeOtherKNP(ctx, img.Ref, timeout); err != nil {
		return fmt.Errorf("kind cluster %s: deploy kube-network-policies: %w", c.name, err)
	}
	for _, obj := range objs {
		if err := applyObject(ctx, c.client, obj); err != nil {
			return fmt.Errorf("kind cluster %s: deploy kube-network-policies: %w", c.name, err)
		}
	}
	ds := daemonSet{knp.Namespace, knp.Name, knp.PodSelector}
	if err := waitDaemonSet(ctx, c.client, ds, len(c.nodes), timeout); err != nil {
		return fmt.Errorf("kind cluster %s: %w", c.name, err)
	}
	missing, err := c.waitKNPTable(ctx)
	switch {
	case err != nil:
		return fmt.Errorf("kind cluster %s: %w", c.name, err)
	case len(missing) > 0 && programmed:
		return fmt.Errorf("kind cluster %s: kube-network-policies %s runs but programmed no nftables table on %s within %s: it enforces nothing there (its log says why)", c.name, img.Ref, strings.Join(missing, ", "), knpProgramTimeout)
	case len(missing) > 0:
		fmt.Fprintf(c.opts.Log, "kind cluster %s: kube-network-policies %s runs but programmed nothing on %s: it enforces nothing (fail-open), as deployed on purpose\n", c.name, img.Ref, strings.Join(missing, ", "))
		return nil
	}
	fmt.Fprintf(c.opts.Log, "kind cluster %s: kube-network-policies %s (%s) programmed on %d nodes (%s)\n", c.name, img.Ref, manifest, len(c.nodes), time.Since(start).Round(time.Millisecond))
	c.warnUnenforcedAdminPolicies(manifest)
	return nil
}

// warnUnenforcedAdminPolicies says so when the cluster serves the v1alpha1
// kinds and the manifest does not enforce them: certify then applies their
// scenarios and fails them, which is true of such a cluster but rarely meant.
func (c *Cluster) warnUnenforcedAdminPolicies(manifest string) {
	if manifest == knp.AdminManifestFile {
		return
	}
	if served, _, err := controller.ServesAdminPolicies(c.client.Discovery()); err == nil && served {
		fmt.Fprintf(c.opts.Log, "kind cluster %s: the cluster serves AdminNetworkPolicy and BaselineAdminNetworkPolicy, which %s does not enforce: certify will apply their scenarios and fail them (--knp-manifest install-anp enforces them)\n", c.name, manifest)
	}
}

// waitKNPTable waits until every node has the enforcer's table, and returns
// the nodes that still lack it after knpProgramTimeout.
func (c *Cluster) waitKNPTable(ctx context.Context) ([]string, error) {
	var missing []string
	err := wait.PollUntilContextTimeout(ctx, time.Second, knpProgramTimeout, true, func(ctx context.Context) (bool, error) {
		missing = nil
		for _, n := range c.nodes {
			if err := n.node.CommandContext(ctx, "nft", "list", "table", "inet", knp.Table).SetStdout(&bytes.Buffer{}).Run(); err != nil {
				missing = append(missing, n.node.String())
			}
		}
		return len(missing) == 0, nil
	})
	if err != nil && ctx.Err() != nil {
		return nil, ctx.Err()
	}
	return missing, nil
}

// KubeNetworkPoliciesImage returns the image of the kube-network-policies
// DaemonSet, or "" when the cluster has none.
func (c *Cluster) KubeNetworkPoliciesImage(ctx context.Context) (string, error) {
	return c.daemonSetImage(ctx, daemonSet{knp.Namespace, knp.Name, knp.PodSelector})
}

// removeOtherKNP takes down a kube-network-policies of another image
// before ref replaces it. Its pods exit on SIGTERM without removing their
// table, and a build that cannot program the kernel (the unadapted one here)
// would leave the old table queueing to its own queue: the cluster would
// enforce with the old rules and certify would judge the wrong build. So
// the DaemonSet goes, its pods are waited out, and the table is deleted on
// every node.
func (c *Cluster) removeOtherKNP(ctx context.Context, ref string, timeout time.Duration) error {
	running, err := c.KubeNetworkPoliciesImage(ctx)
	if err != nil || running == "" || running == ref {
		return err
	}
	fmt.Fprintf(c.opts.Log, "kind cluster %s: removing kube-network-policies %s and its nftables table before %s\n", c.name, running, ref)
	if err := c.client.AppsV1().DaemonSets(knp.Namespace).Delete(ctx, knp.Name, metav1.DeleteOptions{}); err != nil && !apierrors.IsNotFound(err) {
		return fmt.Errorf("delete DaemonSet %s: %w", knp.Name, err)
	}
	err = wait.PollUntilContextTimeout(ctx, time.Second, timeout, true, func(ctx context.Context) (bool, error) {
		pods, err := c.client.CoreV1().Pods(knp.Namespace).List(ctx, metav1.ListOptions{LabelSelector: knp.PodSelector})
		return err == nil && len(pods.Items) == 0, nil
	})
	if err != nil {
		return fmt.Errorf("wait for the pods of kube-network-policies %s to go: %w", running, err)
	}
	for _, n := range c.nodes {
		var out bytes.Buffer
		err := n.node.CommandContext(ctx, "nft", "delete", "table", "inet", knp.Table).SetStderr(&out).Run()
		if err != nil && !strings.Contains(out.String(), "No such file or directory") { // no table there
			return fmt.Errorf("delete nftables table %s on %s: %w: %s", knp.Table, n.node, err, strings.TrimSpace(out.String()))
		}
	}
	return nil
}
