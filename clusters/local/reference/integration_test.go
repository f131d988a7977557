package reference

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/cilium/ebpf/link"
	"golang.org/x/sys/unix"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/netpolcheck/netpolcheck/clusters"
	"github.com/netpolcheck/netpolcheck/clusters/local"
	"github.com/netpolcheck/netpolcheck/probes"
	"github.com/netpolcheck/netpolcheck/scenarios"

	"github.com/netpolcheck/netpolcheck/internal/testenv"
)

func needRoot(tb testing.TB) {
	tb.Helper()
	testenv.NeedRoot(tb, "creates network namespaces, loads eBPF programs and mounts a bpffs")
}

// mountsOn counts the mounts whose mount point is dir.
func mountsOn(tb testing.TB, dir string) int {
	tb.Helper()
	f, err := os.Open("/proc/self/mountinfo")
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	n := 0
	s := bufio.NewScanner(f)
	for s.Scan() {
		if fields := strings.Fields(s.Text()); len(fields) > 4 && fields[4] == dir {
			n++
		}
	}
	return n
}

func TestIntegrationEnsureBPFFS(t *testing.T) {
	needRoot(t)
	root := t.TempDir()
	t.Cleanup(func() {
		for mountsOn(t, root) > 0 {
			if err := unix.Unmount(root, 0); err != nil {
				t.Errorf("unmount %s: %v", root, err)
				return
			}
		}
	})
	if err := ensureBPFFS(root, "/elsewhere/netpolcheck"); err != nil || mountsOn(t, root) != 0 {
		t.Fatalf("a directory elsewhere: %v, %d mounts on %s", err, mountsOn(t, root), root)
	}
	for range 2 {
		if err := ensureBPFFS(root, filepath.Join(root, "netpolcheck", "run", "0")); err != nil {
			t.Fatal(err)
		}
	}
	var fs unix.Statfs_t
	if err := unix.Statfs(root, &fs); err != nil || fs.Type != unix.BPF_FS_MAGIC {
		t.Errorf("%s is not a bpffs after ensureBPFFS: type %x, %v", root, fs.Type, err)
	}
	if n := mountsOn(t, root); n != 1 {
		t.Errorf("%d mounts on %s after two calls, want 1", n, root)
	}
}

// capture wraps Factory to keep the enforcer it starts.
func capture(opts Options, got **Enforcer) local.EnforcerFactory {
	factory := Factory(opts)
	return func(ctx context.Context, node *local.Node) (local.Enforcer, error) {
		e, err := factory(ctx, node)
		if err == nil {
			*got = e.(*Enforcer)
		}
		return e, err
	}
}

var testPorts = []scenarios.Port{{Name: "http", Port: 80, Protocol: scenarios.TCP}, {Name: "dns", Port: 81, Protocol: scenarios.UDP}}

func testWorld() *scenarios.World {
	w := &scenarios.World{Namespaces: []scenarios.Namespace{{Name: "x", Labels: map[string]string{"kubernetes.io/metadata.name": "x"}}}}
	for i, name := range []string{"a", "b", "c"} {
		w.Pods = append(w.Pods, scenarios.Pod{
			Namespace: "x", Name: name, Labels: map[string]string{"pod": name}, Ports: testPorts,
			IP: "192.168.1." + string(rune('1'+i)),
		})
	}
	w.ExternalHosts = []scenarios.ExternalHost{{Name: "ext", IP: "203.0.113.10", Ports: testPorts}}
	return w
}

var podIP = map[string]string{"x/a": "192.168.1.1", "x/b": "192.168.1.2", "x/c": "192.168.1.3", "x/d": "192.168.1.4", "ext": "203.0.113.10"}

func job(from, to string, port int32, protocol string) probes.Job {
	return probes.Job{From: from, To: to, Host: podIP[to], Port: port, Protocol: protocol, Expect: to, Timeout: 300 * time.Millisecond}
}

// allowToBFromA lets pods labelled pod=a reach x/b on 80/TCP only.
func allowToBFromA() *networkingv1.NetworkPolicy {
	port := intstr.FromInt32(80)
	return &networkingv1.NetworkPolicy{
		ObjectMeta: metav1.ObjectMeta{Namespace: "x", Name: "b-from-a"},
		Spec: networkingv1.NetworkPolicySpec{
			PodSelector: metav1.LabelSelector{MatchLabels: map[string]string{"pod": "b"}},
			Ingress: []networkingv1.NetworkPolicyIngressRule{{
				From:  []networkingv1.NetworkPolicyPeer{{PodSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"pod": "a"}}}},
				Ports: []networkingv1.NetworkPolicyPort{{Port: &port}},
			}},
		},
	}
}

// newReferenceCluster makes a local cluster with the reference enforcer,
// closed (and its pins checked gone) when the test ends, and returns the
// run's pin directory too. Setup stores the enforcer it starts in *enf.
func newReferenceCluster(t *testing.T, name string, enf **Enforcer) (clusters.Cluster, string) {
	t.Helper()
	return newReferenceClusterWith(t, name, enf, local.Options{})
}

// newReferenceClusterWith is newReferenceCluster with local options besides
// the enforcer.
func newReferenceClusterWith(t *testing.T, name string, enf **Enforcer, opts local.Options) (clusters.Cluster, string) {
	t.Helper()
	needRoot(t)
	ctx := context.Background()
	opts.Enforcer = capture(Options{}, enf)
	b, err := local.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	pinDir := filepath.Join("/sys/fs/bpf/netpolcheck", b.RunID())
	t.Cleanup(func() {
		if err := b.Close(ctx); err != nil {
			t.Errorf("close backend: %v", err)
		}
		if _, err := os.Stat(pinDir); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("pins of run %s left behind: %v", b.RunID(), err)
		}
	})
	c, err := b.NewCluster(ctx, name)
	if err != nil {
		t.Fatal(err)
	}
	return c, pinDir
}

func TestIntegrationReferenceEnforcer(t *testing.T) {
	ctx := context.Background()
	var enf *Enforcer
	c, pinDir := newReferenceCluster(t, "reference", &enf)
	start := time.Now()
	if _, err := c.Setup(ctx, testWorld()); err != nil {
		t.Fatal(err)
	}
	t.Logf("Setup with the reference enforcer took %v", time.Since(start))
	steps := []struct {
		name    string
		changes []scenarios.Change
		want    map[probes.Job]probes.Outcome
	}{
		{
			name: "no policy",
			want: map[probes.Job]probes.Outcome{
				job("x/a", "x/b", 80, "TCP"): probes.Allowed, job("x/c", "x/b", 80, "TCP"): probes.Allowed,
				job("ext", "x/b", 80, "TCP"): probes.Allowed, job("x/b", "x/a", 81, "UDP"): probes.Allowed,
			},
		},
		{
			name:    "only a reaches b, on 80/TCP",
			changes: []scenarios.Change{{Kind: scenarios.ApplyPolicy, Policy: allowToBFromA()}},
			want: map[probes.Job]probes.Outcome{
				job("x/a", "x/b", 80, "TCP"): probes.Allowed, job("x/c", "x/b", 80, "TCP"): probes.Blocked,
				job("ext", "x/b", 80, "TCP"): probes.Blocked, job("x/a", "x/b", 81, "UDP"): probes.Blocked,
				job("x/b", "x/a", 81, "UDP"): probes.Allowed,
			},
		},
		{
			name: "c relabelled as a, d added",
			changes: []scenarios.Change{
				{Kind: scenarios.LabelPod, Pod: &scenarios.Pod{Namespace: "x", Name: "c", Labels: map[string]string{"pod": "a"}}},
				{Kind: scenarios.AddPod, Pod: &scenarios.Pod{Namespace: "x", Name: "d", IP: podIP["x/d"], Labels: map[string]string{"pod": "d"}, Ports: testPorts}},
			},
			want: map[probes.Job]probes.Outcome{
				job("x/c", "x/b", 80, "TCP"): probes.Allowed, job("x/d", "x/b", 80, "TCP"): probes.Blocked,
				job("x/b", "x/d", 80, "TCP"): probes.Allowed,
			},
		},
		{
			name:    "policy deleted",
			changes: []scenarios.Change{{Kind: scenarios.DeletePolicy, PolicyKey: "x/b-from-a"}},
			want:    map[probes.Job]probes.Outcome{job("x/d", "x/b", 80, "TCP"): probes.Allowed, job("ext", "x/b", 80, "TCP"): probes.Allowed},
		},
	}
	reporter := c.(clusters.DropReporter)
	dropLine := regexp.MustCompile(`^Ingress denied (\S+):\d+ -> (\S+) at x/b \((?:no-peer|no-port), generation \d+\)$`)
	for _, step := range steps {
		for _, ch := range step.changes {
			if _, err := c.Apply(ctx, ch); err != nil {
				t.Fatalf("%s: apply %s: %v", step.name, ch.Kind, err)
			}
		}
		if err := c.(clusters.Syncer).Sync(ctx); err != nil {
			t.Fatalf("%s: sync: %v", step.name, err)
		}
		var jobs []probes.Job
		for j := range step.want {
			jobs = append(jobs, j)
		}
		results, err := c.Probe(ctx, jobs)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range results {
			if r.Outcome != step.want[r.Job] {
				t.Errorf("%s: %s -> %s %d/%s is %s (%s), want %s", step.name, r.Job.From, r.Job.To, r.Job.Port, r.Job.Protocol, r.Outcome, r.Detail, step.want[r.Job])
			}
			drops := reporter.Drops(r.Job)
			if r.Outcome == probes.Allowed && len(drops) != 0 {
				t.Errorf("%s: allowed %s -> %s has drops %q", step.name, r.Job.From, r.Job.To, drops)
			}
			if r.Outcome != probes.Blocked {
				continue
			}
			if len(drops) == 0 {
				t.Errorf("%s: blocked %s -> %s %d/%s has no drop record", step.name, r.Job.From, r.Job.To, r.Job.Port, r.Job.Protocol)
			}
			// The enforcer tells the probe of its drop, so it ends then.
			if !strings.Contains(r.Detail, "the network logged the drop") || r.Blocked != probes.Dropped || r.Elapsed >= r.Job.Timeout {
				t.Errorf("%s: blocked %s -> %s %d/%s after %v (%s, %s): want it ended by the logged drop, before its %v timeout",
					step.name, r.Job.From, r.Job.To, r.Job.Port, r.Job.Protocol, r.Elapsed, r.Blocked, r.Detail, r.Job.Timeout)
			}
			for _, d := range drops {
				m := dropLine.FindStringSubmatch(d)
				want := fmt.Sprintf("%s:%d/%s", podIP["x/b"], r.Job.Port, r.Job.Protocol)
				if m == nil || m[1] != podIP[r.Job.From] || m[2] != want {
					t.Errorf("%s: drop %q does not name %s -> %s", step.name, d, podIP[r.Job.From], want)
				}
			}
		}
	}
	m, err := enf.Metrics()
	if err != nil {
		t.Fatal(err)
	}
	if m.Endpoints != 4 || m.Verdicts.IngressDenied == 0 || m.Drops == 0 || m.SyncErrors != 0 {
		t.Errorf("metrics = %+v", m)
	}

	// A pod whose device never appears leaves Sync failing with its name.
	enf.opts.SyncTimeout = 300 * time.Millisecond
	ghost := scenarios.Change{Kind: scenarios.AddPod, Pod: &scenarios.Pod{Namespace: "x", Name: "ghost", IP: "192.168.1.99"}}
	if err := enf.Apply(ctx, ghost); err != nil {
		t.Fatal(err)
	}
	err = enf.Sync(ctx)
	if want := "pending: x/ghost: no /32 route to 192.168.1.99 in the node"; err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("Sync with a pod that has no device = %v, want it to say %q", err, want)
	}
	if err := c.Teardown(ctx); err != nil {
		t.Fatal(err)
	}
	if entries, err := os.ReadDir(pinDir); err != nil || len(entries) != 0 {
		t.Errorf("pins left in %s after Teardown: %v %v", pinDir, entries, err)
	}
}

// A probe the policy denies reads as dropped, one to a closed port as
// refused; detaching one of the enforcer's programs behind its back (as
// `bpftool link detach` would) makes the health check fail, naming it.
func TestIntegrationEnforcerHealthAndHowBlocked(t *testing.T) {
	ctx := context.Background()
	var enf *Enforcer
	c, _ := newReferenceCluster(t, "health", &enf)
	if _, err := c.Setup(ctx, testWorld()); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Apply(ctx, scenarios.Change{Kind: scenarios.ApplyPolicy, Policy: allowToBFromA()}); err != nil {
		t.Fatal(err)
	}
	if err := c.(clusters.Syncer).Sync(ctx); err != nil {
		t.Fatal(err)
	}
	health := c.(clusters.HealthChecker)
	if err := health.CheckEnforcer(ctx); err != nil {
		t.Fatalf("healthy enforcer: %v", err)
	}

	// Dropped by policy, refused by a closed port (x/a serves 80 and 81/UDP only).
	closed := job("x/a", "x/c", 80, "TCP")
	closed.Port = 9
	results, err := c.Probe(ctx, []probes.Job{job("x/c", "x/b", 80, "TCP"), closed})
	if err != nil {
		t.Fatal(err)
	}
	if r := results[0]; r.Outcome != probes.Blocked || r.Blocked != probes.Dropped {
		t.Errorf("denied by policy: %s (%s), want blocked (dropped): %s", r.Outcome, r.Blocked, r.Detail)
	}
	if r := results[1]; r.Outcome != probes.Blocked || r.Blocked != probes.Refused {
		t.Errorf("closed port: %s (%s), want blocked (refused): %s", r.Outcome, r.Blocked, r.Detail)
	}

	// Detach the ingress program through its pinned link.
	var pins []string
	_ = filepath.WalkDir(c.(*local.Cluster).Node().PinDir, func(path string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && filepath.Base(path) == "nf_postrouting" {
			pins = append(pins, path)
		}
		return nil
	})
	if len(pins) == 0 {
		t.Fatalf("no pinned links under %s", c.(*local.Cluster).Node().PinDir)
	}
	l, err := link.LoadPinnedLink(pins[0], nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := l.Detach(); err != nil {
		t.Fatal(err)
	}
	l.Close()
	if err := health.CheckEnforcer(ctx); err == nil || !strings.Contains(err.Error(), "program detached") {
		t.Errorf("after detaching %s: CheckEnforcer = %v, want a detached program named", pins[0], err)
	}
}
