package kind

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/tools/remotecommand"
	utilexec "k8s.io/client-go/util/exec"
	"sigs.k8s.io/kind/pkg/cluster/nodeutils"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"

	"github.com/netpolcheck/netpolcheck/clusters/kind/internal/run"
	"github.com/netpolcheck/netpolcheck/clusters/kind/nodeimage"
	"github.com/netpolcheck/netpolcheck/probes"
	"github.com/netpolcheck/netpolcheck/scenarios"
)

func TestIntegrationKindOneNode(t *testing.T) { testKindCluster(t, "npc-it-1", 1) }

func TestIntegrationKindThreeNodes(t *testing.T) { testKindCluster(t, "npc-it-3", 3) }

// nodeImageForTests is the image under test: NETPOLCHECK_KIND_NODE_IMAGE
// (make e2e-kind NODE_IMAGE=...) or the offline one.
func nodeImageForTests() string {
	if img := os.Getenv("NETPOLCHECK_KIND_NODE_IMAGE"); img != "" {
		return img
	}
	return nodeimage.DefaultNodeImage
}

// skipWithoutKind skips, saying why, where a kind cluster cannot be made.
func skipWithoutKind(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("kind clusters take minutes: skipped under -short (make e2e-kind runs them)")
	}
	if os.Geteuid() != 0 {
		t.Skip("kind tests need root: external hosts are configured through their network namespace")
	}
	ctx := context.Background()
	if _, err := run.Docker(ctx, nil, "info"); err != nil {
		t.Skipf("docker cannot run here (%v): run hack/kind/ensure-docker.sh", strings.SplitN(err.Error(), "\n", 2)[0])
	}
	img := nodeImageForTests()
	if _, err := run.Docker(ctx, nil, "image", "inspect", img); err != nil {
		t.Skipf("node image %s is missing: run make kind-image, or set NETPOLCHECK_KIND_NODE_IMAGE", img)
	}
	return img
}

// testWriter sends progress lines to the test log.
type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

func testKindCluster(t *testing.T, name string, nodes int) {
	img := skipWithoutKind(t)
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
	defer cancel()
	logDir, err := os.MkdirTemp("", "netpolcheck-kind-logs-")
	if err != nil {
		t.Fatal(err)
	}
	provider := NewProvider(WithNodes(nodes), WithNodeImage(img), WithLogDir(logDir), WithLog(testWriter{t}))
	// A cluster left by an earlier crashed run would make Up fail.
	if err := provider.Down(ctx, name); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	c, err := provider.Up(ctx, name)
	if err != nil {
		t.Fatalf("Up: %v (logs in %s)", err, logDir)
	}
	t.Logf("TIMING %d-node cluster up, every node Ready: %s", nodes, time.Since(start).Round(time.Millisecond))
	down := false
	t.Cleanup(func() {
		if !down {
			if err := c.Down(context.Background()); err != nil {
				t.Errorf("Down: %v", err)
			}
		}
	})
	os.RemoveAll(logDir)

	if _, err := provider.Up(ctx, name); err == nil || !errors.Is(err, errExists) {
		t.Errorf("second Up of %s: %v, want %v", name, err, errExists)
	}
	checkNodes(t, ctx, c, nodes)
	loadProjectImages(t, ctx, c)
	client, server := startPodPair(t, ctx, c)
	if nodes > 1 && client.Spec.NodeName == server.Spec.NodeName {
		t.Fatalf("client and server both on %s, want different nodes", client.Spec.NodeName)
	}
	for _, proto := range []string{"TCP", "UDP"} {
		if code, out := probeConnect(t, ctx, c, client, server.Status.PodIP, 8080, proto, "npc-it/server"); code != 0 {
			t.Errorf("%s from %s (%s) to %s (%s): exit %d, want 0 (allowed)\n%s", proto,
				client.Name, client.Spec.NodeName, server.Name, server.Spec.NodeName, code, out)
		}
	}
	if !sawSource(t, ctx, c, server, client.Status.PodIP) {
		t.Errorf("the server's node saw no connection from %s: the source address was not kept", client.Status.PodIP)
	}
	checkExternalHost(t, ctx, c, client, server)

	if err := c.Down(ctx); err != nil {
		t.Fatalf("Down: %v", err)
	}
	down = true
	checkNothingLeft(t, ctx, name)
}

// checkNodes asserts the node count, readiness, distinct pod ranges and the
// missing default routes.
func checkNodes(t *testing.T, ctx context.Context, c *Cluster, want int) {
	t.Helper()
	list, err := c.Client().CoreV1().Nodes().List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(list.Items) != want || len(c.Nodes()) != want {
		t.Fatalf("%d nodes in the API, %d known, want %d", len(list.Items), len(c.Nodes()), want)
	}
	cidrs := map[string]bool{}
	for _, n := range list.Items {
		if !isReady(n) {
			t.Errorf("node %s is not Ready", n.Name)
		}
		if !strings.HasPrefix(n.Spec.PodCIDR, "192.168.") || cidrs[n.Spec.PodCIDR] {
			t.Errorf("node %s has pod CIDR %q, want a distinct range of 192.168.0.0/16", n.Name, n.Spec.PodCIDR)
		}
		cidrs[n.Spec.PodCIDR] = true
	}
	for _, n := range c.nodes {
		var out bytes.Buffer
		if err := n.node.CommandContext(ctx, "ip", "-4", "route", "show", "default").SetStdout(&out).Run(); err != nil {
			t.Fatal(err)
		}
		if out.Len() != 0 {
			t.Errorf("node %s still has a default route: %s", n.node, out.String())
		}
	}
}

// loadProjectImages builds the project's images and checks each node has them.
func loadProjectImages(t *testing.T, ctx context.Context, c *Cluster) {
	t.Helper()
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	// Only the probe image: the enforcer is another package's work in progress,
	// and its image goes through the same builder.
	archives, err := BuildImages(ctx, testWriter{t}, root, t.TempDir(), ProjectImages("devel")[0])
	if err != nil {
		t.Fatal(err)
	}
	built := time.Since(start)
	if err := c.LoadImages(ctx, archives...); err != nil {
		t.Fatal(err)
	}
	t.Logf("TIMING images built in %s, loaded into %d nodes in %s", built.Round(time.Millisecond), len(c.nodes), (time.Since(start) - built).Round(time.Millisecond))
	for _, n := range c.nodes {
		if id, err := nodeutils.ImageID(n.node, DefaultProbeImage); err != nil || id == "" {
			t.Errorf("node %s lacks %s: %q, %v", n.node, DefaultProbeImage, id, err)
		}
	}
}

// startPodPair runs a probe server on the last node and a client on the first.
func startPodPair(t *testing.T, ctx context.Context, c *Cluster) (client, server *corev1.Pod) {
	t.Helper()
	nodes := c.Nodes()
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "npc-it"}}
	if _, err := c.Client().CoreV1().Namespaces().Create(ctx, ns, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	pod := func(name, node string) *corev1.Pod {
		return &corev1.Pod{
			ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "npc-it"},
			Spec: corev1.PodSpec{
				NodeName:    node,
				Tolerations: []corev1.Toleration{{Operator: corev1.TolerationOpExists}},
				Containers: []corev1.Container{{
					Name: "probe", Image: DefaultProbeImage, ImagePullPolicy: corev1.PullNever,
					Args: []string{"serve", "--identity", "npc-it/" + name, "--ports", "8080/TCP,8080/UDP"},
				}},
			},
		}
	}
	var pods []*corev1.Pod
	for _, p := range []*corev1.Pod{pod("client", nodes[0].Name), pod("server", nodes[len(nodes)-1].Name)} {
		if _, err := c.Client().CoreV1().Pods("npc-it").Create(ctx, p, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	for _, name := range []string{"client", "server"} {
		p, err := waitRunning(ctx, c, "npc-it", name)
		if err != nil {
			t.Fatal(err)
		}
		pods = append(pods, p)
	}
	return pods[0], pods[1]
}

// waitRunning waits for a pod to run with an address.
func waitRunning(ctx context.Context, c *Cluster, ns, name string) (*corev1.Pod, error) {
	deadline := time.Now().Add(2 * time.Minute)
	for {
		p, err := c.Client().CoreV1().Pods(ns).Get(ctx, name, metav1.GetOptions{})
		if err == nil && p.Status.Phase == corev1.PodRunning && p.Status.PodIP != "" {
			return p, nil
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("pod %s/%s not running after 2m: %v %+v", ns, name, err, p.Status)
		}
		time.Sleep(time.Second)
	}
}

// probeConnect execs `probe connect` in the pod, through the API server as
// the kube backend does, and returns its exit status and output.
func probeConnect(t *testing.T, ctx context.Context, c *Cluster, from *corev1.Pod, host string, port int, proto, expect string) (int, string) {
	t.Helper()
	cmd := []string{"/probe", "connect", "--to", host, "--port", fmt.Sprint(port), "--protocol", proto, "--expect", expect, "--timeout", "2s"}
	req := c.Client().CoreV1().RESTClient().Post().Resource("pods").Namespace(from.Namespace).Name(from.Name).SubResource("exec").
		VersionedParams(&corev1.PodExecOptions{Container: "probe", Command: cmd, Stdout: true, Stderr: true}, scheme.ParameterCodec)
	executor, err := remotecommand.NewSPDYExecutor(c.RESTConfig(), "POST", req.URL())
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	err = executor.StreamWithContext(ctx, remotecommand.StreamOptions{Stdout: &out, Stderr: &out})
	var exit utilexec.CodeExitError
	switch {
	case err == nil:
		return 0, out.String()
	case errors.As(err, &exit):
		return exit.Code, out.String()
	default:
		t.Fatalf("exec in %s: %v", from.Name, err)
		return -1, ""
	}
}

// checkExternalHost adds an external host, reaches it from a pod and the
// server pod from it, removes it and checks it is gone.
func checkExternalHost(t *testing.T, ctx context.Context, c *Cluster, client, server *corev1.Pod) {
	t.Helper()
	set := c.ExternalHosts()
	partner := scenarios.ExternalHost{Name: "partner", IP: "203.0.113.10",
		Ports: []scenarios.Port{{Port: 443, Protocol: scenarios.TCP}, {Port: 53, Protocol: scenarios.UDP}}}
	start := time.Now()
	if err := set.Add(ctx, []scenarios.ExternalHost{partner}); err != nil {
		t.Fatal(err)
	}
	t.Logf("TIMING external host answering after %s", time.Since(start).Round(time.Millisecond))
	if code, out := probeConnect(t, ctx, c, client, "203.0.113.10", 443, "TCP", "partner"); code != 0 {
		t.Errorf("TCP to external host: exit %d, want 0\n%s", code, out)
	}
	if code, out := probeConnect(t, ctx, c, client, "203.0.113.10", 53, "UDP", "partner"); code != 0 {
		t.Errorf("UDP to external host: exit %d, want 0\n%s", code, out)
	}
	jobs := []probes.Job{
		{From: "partner", To: "npc-it/server", Host: server.Status.PodIP, Port: 8080, Protocol: "TCP", Expect: "npc-it/server", Timeout: 2 * time.Second},
		{From: "partner", To: "npc-it/server", Host: server.Status.PodIP, Port: 8080, Protocol: "UDP", Expect: "npc-it/server", Timeout: 2 * time.Second},
	}
	results, err := set.ProbeFrom(ctx, "partner", jobs)
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range results {
		if r.Outcome != probes.Allowed || r.Job.Protocol != jobs[i].Protocol {
			t.Errorf("from the external host, %s to the server: %s %s, want allowed", jobs[i].Protocol, r.Outcome, r.Detail)
		}
	}
	if !sawSource(t, ctx, c, server, "203.0.113.10") {
		t.Errorf("the server's node saw no connection from the external host's address")
	}
	container := externalContainerName(c.name, "partner")
	if got, want := set.ReproduceFrom("partner", jobs[0]), "docker exec "+container+" /probe connect --to "+server.Status.PodIP+
		" --port 8080 --protocol TCP --from partner --expect npc-it/server --timeout 2s"; got != want {
		t.Errorf("ReproduceFrom = %q, want %q", got, want)
	}
	if defaults := externalDefaultRoutes(t, ctx, container); defaults != 0 {
		t.Errorf("external host container has %d default routes, want none", defaults)
	}
	if err := set.Remove(ctx, []scenarios.ExternalHost{partner}); err != nil {
		t.Fatal(err)
	}
	if code, _ := probeConnect(t, ctx, c, client, "203.0.113.10", 443, "TCP", "partner"); code == 0 {
		t.Errorf("external host still answers after Remove")
	}
	if err := set.Remove(ctx, []scenarios.ExternalHost{partner}); err != nil {
		t.Errorf("removing a removed host: %v, want no error", err)
	}
	if err := c.RemoveExternalHost(ctx, "partner"); err == nil || err.Error() != "external host partner: not added" {
		t.Errorf("RemoveExternalHost of a removed host: %v", err)
	}
}

// sawSource tells whether the server pod's node tracked a TCP connection from
// src to the server: pods must see each other's and external hosts' own
// addresses, as NetworkPolicy peers select them.
func sawSource(t *testing.T, ctx context.Context, c *Cluster, server *corev1.Pod, src string) bool {
	t.Helper()
	for _, n := range c.nodes {
		if n.node.String() != server.Spec.NodeName {
			continue
		}
		var out bytes.Buffer
		if err := n.node.CommandContext(ctx, "conntrack", "-L", "-p", "tcp", "--dst", server.Status.PodIP, "--dport", "8080").SetStdout(&out).Run(); err != nil {
			t.Fatalf("conntrack on %s: %v", n.node, err)
		}
		return strings.Contains(out.String(), "src="+src+" ")
	}
	t.Fatalf("no node %s", server.Spec.NodeName)
	return false
}

// checkNothingLeft asserts that Down removed every container and the network.
func checkNothingLeft(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	for _, label := range []string{"io.x-k8s.kind.cluster=" + name, externalLabel + "=" + name} {
		out, err := run.Docker(ctx, nil, "ps", "-aq", "--filter", "label="+label)
		if err != nil || out != "" {
			t.Errorf("containers labelled %s left: %q, %v", label, out, err)
		}
	}
	if _, err := run.Docker(ctx, nil, "network", "inspect", DefaultNetwork); err == nil {
		t.Errorf("docker network %s left", DefaultNetwork)
	}
}

// externalDefaultRoutes counts the default routes in a container's network namespace.
func externalDefaultRoutes(t *testing.T, ctx context.Context, container string) int {
	t.Helper()
	pid, err := run.Docker(ctx, nil, "inspect", "--format", "{{.State.Pid}}", container)
	if err != nil {
		t.Fatal(err)
	}
	var n int
	fmt.Sscan(pid, &n)
	ns, err := netns.GetFromPid(n)
	if err != nil {
		t.Fatal(err)
	}
	defer ns.Close()
	h, err := netlink.NewHandleAt(ns)
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	routes, err := h.RouteList(nil, netlink.FAMILY_V4)
	if err != nil {
		t.Fatal(err)
	}
	defaults := 0
	for _, r := range routes {
		if r.Dst == nil || r.Dst.IP.IsUnspecified() {
			defaults++
		}
	}
	return defaults
}

// TestIntegrationKindFailure makes Up fail after the nodes exist (no time at
// all to wait for pod CIDRs) and checks that the logs were exported, and that
// the nodes were deleted, or kept with Retain until Down.
func TestIntegrationKindFailure(t *testing.T) {
	img := skipWithoutKind(t)
	for _, retain := range []bool{false, true} {
		t.Run(fmt.Sprintf("retain=%v", retain), func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
			defer cancel()
			const name = "npc-it-fail"
			logDir := t.TempDir()
			provider := NewProvider(WithNodeImage(img), WithLogDir(logDir), WithRetain(retain),
				WithReadyTimeout(time.Nanosecond), WithLog(testWriter{t}))
			if err := provider.Down(ctx, name); err != nil {
				t.Fatal(err)
			}
			_, err := provider.Up(ctx, name)
			if want := "kind cluster npc-it-fail: wait for pod CIDRs: nodes not given a pod CIDR after 1ns: "; err == nil || !strings.HasPrefix(err.Error(), want) {
				t.Errorf("err = %v, want it to start with %q", err, want)
			}
			for _, f := range []string{"kind-version.txt", name + "-control-plane/kubelet.log", name + "-control-plane/journal.log"} {
				if info, err := os.Stat(filepath.Join(logDir, f)); err != nil || info.Size() == 0 {
					t.Errorf("log %s missing or empty: %v", f, err)
				}
			}
			if retain {
				out, err := run.Docker(ctx, nil, "ps", "-q", "--filter", "label=io.x-k8s.kind.cluster="+name)
				if err != nil || len(strings.Fields(out)) != 1 {
					t.Errorf("retained nodes: %q, %v; want the control plane running", out, err)
				}
				if err := provider.Down(ctx, name); err != nil {
					t.Fatal(err)
				}
			}
			checkNothingLeft(t, ctx, name)
		})
	}
}
