package kube

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/netpolcheck/netpolcheck/probes"
)

// holdExec plays probe hold: the first exchange's result, then one result
// per command read from stdin, until stdin ends.
type holdExec struct {
	answer func(seq int, verb string) probes.Outcome
	fail   error
	cmd    chan []string
}

func (h *holdExec) Exec(_ context.Context, req ExecRequest) error {
	h.cmd <- req.Command
	if h.fail != nil {
		return h.fail
	}
	enc := json.NewEncoder(req.Stdout)
	write := func(seq int, verb string) {
		_ = enc.Encode(map[string]any{"seq": seq, "result": probes.Result{Outcome: h.answer(seq, verb)}})
	}
	write(0, "hold")
	lines := bufio.NewScanner(req.Stdin)
	for lines.Scan() {
		verb, n, _ := strings.Cut(lines.Text(), " ")
		var seq int
		fmt.Sscan(n, &seq)
		write(seq, verb)
	}
	return nil
}

func TestHoldRunsOneSessionPerConnection(t *testing.T) {
	k := newFakeCluster(t)
	exec := &holdExec{cmd: make(chan []string, 1), answer: func(seq int, verb string) probes.Outcome {
		if verb == "dial" {
			return probes.Blocked
		}
		return probes.Allowed
	}}
	c, _ := setUp(t, newTestBackend(t, k, exec, testOptions()), xyWorld())
	job := probes.Job{From: "x/a", To: "y/b", Host: "10.244.0.11", Port: 80, Protocol: "TCP", Expect: "y/b", Timeout: time.Second}
	held, first, err := c.Hold(context.Background(), job)
	if err != nil {
		t.Fatal(err)
	}
	defer held.Close()
	if first.Outcome != probes.Allowed || first.Job != job {
		t.Errorf("first = %+v, want allowed for the job", first)
	}
	cmd := <-exec.cmd
	if want := []string{probeBinary, "hold", "--to", "10.244.0.11", "--port", "80", "--from", "x/a", "--timeout", "1s", "--expect", "y/b"}; !slices.Equal(cmd, want) {
		t.Errorf("command %q, want %q", cmd, want)
	}
	if r := held.Exchange(context.Background()); r.Outcome != probes.Allowed {
		t.Errorf("exchange = %s, want allowed", r.Outcome)
	}
	if r := held.Dial(context.Background()); r.Outcome != probes.Blocked {
		t.Errorf("dial = %s, want blocked", r.Outcome)
	}
	if err := held.Close(); err != nil {
		t.Fatal(err)
	}
	if r := held.Exchange(context.Background()); r.Outcome != probes.Error || !strings.Contains(r.Detail, "session ended") {
		t.Errorf("exchange after Close = %s (%s), want an error saying the session ended", r.Outcome, r.Detail)
	}
}

func TestHoldSessionThatFailsIsAnErrorNotAHang(t *testing.T) {
	k := newFakeCluster(t)
	exec := &holdExec{cmd: make(chan []string, 1), fail: errors.New("container not found")}
	c, _ := setUp(t, newTestBackend(t, k, exec, testOptions()), xyWorld())
	done := make(chan struct{})
	go func() {
		defer close(done)
		held, first, err := c.Hold(context.Background(), probes.Job{From: "x/a", To: "y/b", Host: "10.244.0.11", Port: 80, Protocol: "TCP"})
		if err != nil {
			t.Error(err)
			return
		}
		if first.Outcome != probes.Error || !strings.Contains(first.Detail, "container not found") {
			t.Errorf("first = %s (%s), want the exec's error", first.Outcome, first.Detail)
		}
		if r := held.Dial(context.Background()); r.Outcome != probes.Error {
			t.Errorf("dial on a dead session = %s, want error", r.Outcome)
		}
		_ = held.Close()
	}()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("a failed session hung")
	}
}

func TestRestartEnforcerDeletesThePodsNearTheProbesAndWaitsForNewOnes(t *testing.T) {
	enforcer := func(name, node string) *corev1.Pod {
		return &corev1.Pod{
			ObjectMeta: metav1.ObjectMeta{Namespace: "kube-system", Name: name, UID: types.UID("uid-" + name), Labels: map[string]string{"app": "enf"}},
			Spec:       corev1.PodSpec{NodeName: node},
			Status:     corev1.PodStatus{Conditions: []corev1.PodCondition{{Type: corev1.PodReady, Status: corev1.ConditionTrue}}},
		}
	}
	k := newFakeCluster(t, enforcer("enf-1", "node-1"), enforcer("enf-2", "node-2"))
	k.podState = func(p *corev1.Pod) { p.Spec.NodeName = "node-1" }
	opts := testOptions()
	opts.EnforcerPods = &PodSelection{Namespace: "kube-system", Selector: "app=enf"}
	c, _ := setUp(t, newTestBackend(t, k, &fakeExec{}, opts), xyWorld())

	ready, err := c.RestartEnforcer(context.Background(), []string{"x/a", "y/b"})
	if err != nil {
		t.Fatal(err)
	}
	left, _ := k.client.CoreV1().Pods("kube-system").List(context.Background(), metav1.ListOptions{})
	var names []string
	for _, p := range left.Items {
		names = append(names, p.Name)
	}
	if !slices.Equal(names, []string{"enf-2"}) {
		t.Errorf("enforcer pods left %v, want only enf-2 (on a node without probe pods)", names)
	}
	select {
	case err := <-ready:
		t.Fatalf("ready (%v) before any replacement", err)
	case <-time.After(2 * restartPoll):
	}
	if _, err := k.client.CoreV1().Pods("kube-system").Create(context.Background(), enforcer("enf-3", "node-1"), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-ready:
		if err != nil {
			t.Errorf("ready: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the replacement was not seen")
	}
}

func TestRestartEnforcerNeedsToKnowThePods(t *testing.T) {
	c, _ := setUp(t, newTestBackend(t, newFakeCluster(t), &fakeExec{}, testOptions()), xyWorld())
	if _, err := c.RestartEnforcer(context.Background(), []string{"x/a"}); err == nil || !strings.Contains(err.Error(), "--enforcer-pods") {
		t.Errorf("err = %v, want one naming --enforcer-pods", err)
	}
	if _, err := ParsePodSelection("kube-system"); err == nil {
		t.Error("a selection without a selector was accepted")
	}
	if _, err := ParsePodSelection("kube-system/app in (a"); err == nil {
		t.Error("a bad selector was accepted")
	}
	if p, err := ParsePodSelection("kube-system/k8s-app=kube-network-policies"); err != nil || p.String() != "kube-system/k8s-app=kube-network-policies" {
		t.Errorf("ParsePodSelection = %v, %v", p, err)
	}
}

func TestProbeFromHostRunsInAHostNetworkPodOnTheChosenNode(t *testing.T) {
	node := func(name string) *corev1.Node { return &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: name}} }
	k := newFakeCluster(t, node("node-1"), node("node-2"))
	k.podState = func(p *corev1.Pod) {
		if p.Spec.NodeName == "" {
			p.Spec.NodeName = "node-1"
		}
	}
	exec := &fakeExec{}
	c, addrs := setUp(t, newTestBackend(t, k, exec, testOptions()), xyWorld())
	job := probes.Job{From: "host", To: "y/b", Host: addrs["y/b"], Port: 80, Protocol: "TCP", Expect: "y/b"}
	for _, tt := range []struct {
		same bool
		pod  string
		node string
	}{{true, "host-same-node", "node-1"}, {false, "host-other-node", "node-2"}} {
		results, err := c.ProbeFromHost(context.Background(), []probes.Job{job}, "y/b", tt.same)
		if err != nil {
			t.Fatal(err)
		}
		if len(results) != 1 || results[0].Outcome != probes.Allowed {
			t.Errorf("results %+v", results)
		}
		p, err := k.client.CoreV1().Pods(c.RealNamespace("y")).Get(context.Background(), tt.pod, metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if !p.Spec.HostNetwork || p.Spec.NodeName != tt.node || len(p.Spec.SecurityContext.Sysctls) != 0 || !slices.Equal(p.Spec.Containers[0].Command, []string{probeBinary, "wait"}) {
			t.Errorf("host pod %s: hostNetwork %v on %q, sysctls %v, command %v", tt.pod, p.Spec.HostNetwork, p.Spec.NodeName, p.Spec.SecurityContext.Sysctls, p.Spec.Containers[0].Command)
		}
	}
	if calls := exec.sortedCalls(); len(calls) < 2 || calls[len(calls)-1].Pod != "host-other-node" && calls[len(calls)-2].Pod != "host-other-node" {
		t.Errorf("execs %+v, want one into each host pod", calls)
	}
}
