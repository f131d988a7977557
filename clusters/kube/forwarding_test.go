package kube

import (
	"context"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/netpolcheck/netpolcheck/probes"
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
	if !dialled["10.96.0.10 TCP"] || !dialled["10.96.0.11 TCP"] || len(dialled) != 2 {
		t.Errorf("dialled %v, want each Service once on its TCP port", dialled)
	}
	for _, call := range exec.calls {
		for _, j := range call.Jobs {
			if j.From == j.To {
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
	opts := testOptions()
	opts.Targets = []probes.Target{probes.TargetService}
	opts.ReadyTimeout = 300 * time.Millisecond
	cl, err := newTestBackend(t, k, exec, opts).NewCluster(context.Background(), "s")
	if err != nil {
		t.Fatal(err)
	}
	_, err = cl.Setup(context.Background(), xyWorld())
	want := "not every node forwards the Services after 300ms (kube-proxy or its replacement has not programmed them; no policy is in force yet): " +
		"y/b (10.96.0.11:80) from node node-x: blocked (connect: no answer within 1s)"
	if errText(err) != want {
		t.Errorf("Setup error\n%s\nwant\n%s", errText(err), want)
	}
}

// Without the service target there is nothing to check, and no exec.
func TestSetupByPodIPChecksNoForwarding(t *testing.T) {
	k := newFakeCluster(t)
	k.podState = onTwoNodes
	exec := &fakeExec{}
	setUp(t, newTestBackend(t, k, exec, testOptions()), xyWorld())
	if len(exec.calls) != 0 {
		t.Errorf("%d execs at setup by pod IP, want none", len(exec.calls))
	}
}
