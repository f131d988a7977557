package kube

import (
	"context"
	"maps"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/netpolcheck/netpolcheck/probes"
	"github.com/netpolcheck/netpolcheck/scenarios"
)

// onTwoNodes puts x's pods on node-x and y's on node-y.
func onTwoNodes(pod *corev1.Pod) { pod.Spec.NodeName = "node-" + pod.Namespace[len(pod.Namespace)-1:] }

// Setup waits until every node forwards every Service: kube-proxy refuses a
// ClusterIP it has not programmed, which a first probe would take for a
// policy's block.
func TestSetupWaitsUntilEveryNodeForwardsTheServices(t *testing.T) {
	k := newFakeCluster(t)
	k.podState = onTwoNodes
	var refusals atomic.Int32
	exec := &fakeExec{answer: func(_ ExecRequest, j probes.Job) probes.Result {
		if strings.HasPrefix(j.Host, "10.96.") && refusals.Add(1) <= 3 {
			return probes.Result{Job: j, Outcome: probes.Blocked, Blocked: probes.Refused, Detail: "connect: refused"}
		}
		return probes.Result{Job: j, Outcome: probes.Allowed, Detail: "answered " + j.Expect}
	}}
	opts := testOptions()
	opts.Targets = []probes.Target{probes.TargetPod, probes.TargetService}
	c, _ := setUp(t, newTestBackend(t, k, exec, opts), xyWorld())
	from := map[string]bool{}
	dialled := map[string]bool{}
	for _, call := range exec.calls {
		from[call.Pod] = true
		for _, j := range call.Jobs {
			dialled[j.Host+" "+j.Protocol] = true
		}
	}
	if len(from) != 2 || len(exec.calls) < 3 {
		t.Errorf("%d execs from %v, want retries from one pod per node (2)", len(exec.calls), from)
	}
	if !dialled["10.96.0.10 TCP"] || !dialled["10.96.0.11 TCP"] || !dialled["10.244.0.10 TCP"] || !dialled["10.244.0.11 TCP"] || len(dialled) != 4 {
		t.Errorf("dialled %v, want each Service and each pod IP on its TCP port", dialled)
	}
	for _, call := range exec.calls {
		for _, j := range call.Jobs {
			if j.From == j.To && strings.HasPrefix(j.Host, "10.96.") {
				t.Errorf("%s dialled its own Service: hairpin is not forwarding", j.From)
			}
		}
	}
	if c.pods["x/a"].node != "node-x" {
		t.Errorf("x/a runs on %q, want node-x recorded", c.pods["x/a"].node)
	}
}

func TestSetupNamesServicesNoNodeForwards(t *testing.T) {
	k := newFakeCluster(t)
	k.podState = onTwoNodes
	exec := &fakeExec{answer: func(_ ExecRequest, j probes.Job) probes.Result {
		if j.Host == "10.96.0.11" {
			return probes.Result{Job: j, Outcome: probes.Blocked, Blocked: probes.Dropped, Detail: "connect: no answer within 1s"}
		}
		return probes.Result{Job: j, Outcome: probes.Allowed}
	}}
	setupFails(t, k, exec, []probes.Target{probes.TargetService},
		"not every node forwards the Services after 300ms (kube-proxy or its replacement has not programmed them; no policy is in force yet): "+
			"y/b (10.96.0.11:80) from node node-x: blocked (connect: no answer within 1s)")
}

// setupFails sets xyWorld up with a readiness timeout of 300ms and wants
// Setup to fail with want.
func setupFails(t *testing.T, k *fakeKubelet, exec *fakeExec, targets []probes.Target, want string) {
	t.Helper()
	opts := testOptions()
	opts.Targets = targets
	opts.ReadyTimeout = 300 * time.Millisecond
	cl, err := newTestBackend(t, k, exec, opts).NewCluster(context.Background(), "s")
	if err != nil {
		t.Fatal(err)
	}
	_, err = cl.Setup(context.Background(), xyWorld())
	if errText(err) != want {
		t.Errorf("Setup error\n%s\nwant\n%s", errText(err), want)
	}
}

// Without the service target, Setup still dials each pod by its IP from a
// pod of its node, since its pods have no startup probe: one exec a node.
func TestSetupByPodIPDialsEachPod(t *testing.T) {
	k := newFakeCluster(t)
	k.podState = onTwoNodes
	exec := &fakeExec{}
	setUp(t, newTestBackend(t, k, exec, testOptions()), xyWorld())
	dialled := map[string]string{}
	for _, call := range exec.calls {
		for _, j := range call.Jobs {
			dialled[j.From+">"+j.To] = j.Host
		}
	}
	if want := map[string]string{"x/a>x/a": "10.244.0.10", "y/b>y/b": "10.244.0.11"}; len(exec.calls) != 2 || !maps.Equal(dialled, want) {
		t.Errorf("%d execs dialling %v, want one a node dialling %v", len(exec.calls), dialled, want)
	}
}

// A pod that runs but does not answer fails Setup, naming it: without a
// startup probe, nothing else would notice.
func TestSetupNamesPodsThatDoNotAnswer(t *testing.T) {
	k := newFakeCluster(t)
	k.podState = onTwoNodes
	exec := &fakeExec{answer: func(_ ExecRequest, j probes.Job) probes.Result {
		if j.To == "y/b" {
			return probes.Result{Job: j, Outcome: probes.Blocked, Blocked: probes.Refused, Detail: "connect: refused"}
		}
		return probes.Result{Job: j, Outcome: probes.Allowed}
	}}
	setupFails(t, k, exec, nil, "probe pods running but not answering on their own node after 300ms (no policy is in force yet): "+
		"y/b (10.244.0.11:80) from node node-y: blocked (connect: refused)")
}

// Pods that Setup makes go without the startup probe; a pod a step adds,
// perhaps into an isolated namespace, keeps it.
func TestStartupProbeOnlyForAddedPods(t *testing.T) {
	k := newFakeCluster(t)
	c, _ := setUp(t, newTestBackend(t, k, &fakeExec{}, testOptions()), xyWorld())
	if p := getPod(t, k, "npc-r1-0-x", "a"); p.Spec.Containers[0].StartupProbe != nil {
		t.Errorf("pod x/a made by Setup has a startup probe")
	}
	if _, err := c.Apply(context.Background(), scenarios.Change{Kind: scenarios.AddPod, Pod: &scenarios.Pod{Namespace: "x", Name: "c",
		Ports: []scenarios.Port{{Port: 80, Protocol: scenarios.TCP}}}}); err != nil {
		t.Fatal(err)
	}
	if p := getPod(t, k, "npc-r1-0-x", "c"); p.Spec.Containers[0].StartupProbe == nil {
		t.Errorf("pod x/c added by a step has no startup probe")
	}
}

// A pod added mid-scenario, when policies may block the check itself: the
// pod IP answering while the Service does not is a node that does not
// forward it yet, waited for; a source policy blocks both ways is replaced
// by another pod of its node, and a node no source can tell about is left
// to the probes.
func TestAddPodWaitsUntilItsServiceIsForwarded(t *testing.T) {
	for _, tt := range []struct {
		name string
		// answer says what a dial to the new pod gets, by pod IP or Service.
		answer   func(service bool, from string, n int32) probes.Outcome
		wantErr  string
		minCalls int
	}{
		{"forwarded after a while", func(service bool, _ string, n int32) probes.Outcome {
			if service && n <= 4 {
				return probes.Blocked
			}
			return probes.Allowed
		}, "", 3},
		{"policy blocks every source both ways", func(bool, string, int32) probes.Outcome { return probes.Blocked }, "", 2},
		{"never forwarded", func(service bool, _ string, _ int32) probes.Outcome {
			if service {
				return probes.Blocked
			}
			return probes.Allowed
		}, "the Service of x/c is not forwarded everywhere", 2},
	} {
		t.Run(tt.name, func(t *testing.T) {
			k := newFakeCluster(t)
			k.podState = onTwoNodes
			var serviceDials atomic.Int32
			var added atomic.Bool
			exec := &fakeExec{answer: func(_ ExecRequest, j probes.Job) probes.Result {
				if !added.Load() || j.To != "x/c" {
					return probes.Result{Job: j, Outcome: probes.Allowed, Detail: "answered " + j.Expect}
				}
				service := strings.HasPrefix(j.Host, "10.96.")
				n := int32(0)
				if service {
					n = serviceDials.Add(1)
				}
				o := tt.answer(service, j.From, n)
				return probes.Result{Job: j, Outcome: o, Blocked: map[bool]probes.Block{true: probes.Dropped}[o == probes.Blocked], Detail: string(o)}
			}}
			opts := testOptions()
			opts.Targets = []probes.Target{probes.TargetPod, probes.TargetService}
			c, _ := setUp(t, newTestBackend(t, k, exec, opts), xyWorld())
			before := len(exec.calls)
			added.Store(true)
			_, err := c.Apply(context.Background(), scenarios.Change{Kind: scenarios.AddPod, Pod: &scenarios.Pod{Namespace: "x", Name: "c", Ports: []scenarios.Port{{Port: 80, Protocol: scenarios.TCP}}}})
			if (err == nil) != (tt.wantErr == "") || err != nil && !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("AddPod = %v; want %q", err, tt.wantErr)
			}
			if calls := len(exec.calls) - before; calls < tt.minCalls {
				t.Errorf("%d checking execs; want at least %d", calls, tt.minCalls)
			}
		})
	}
}
