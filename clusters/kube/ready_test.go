package kube

import (
	"context"
	"errors"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/netpolcheck/netpolcheck/scenarios"
)

func event(ns, pod, typ, reason, msg string, count int32, at int) *corev1.Event {
	ts := metav1.NewTime(time.Date(2026, 1, 1, 12, 0, at, 0, time.UTC))
	return &corev1.Event{
		ObjectMeta:     metav1.ObjectMeta{Name: pod + "." + reason, Namespace: ns},
		InvolvedObject: corev1.ObjectReference{Kind: "Pod", Namespace: ns, Name: pod},
		Type:           typ, Reason: reason, Message: msg, Count: count, LastTimestamp: ts,
	}
}

func TestReadinessTimeoutNamesPodsWithEvents(t *testing.T) {
	k := newFakeCluster(t)
	k.podState = func(pod *corev1.Pod) {
		if pod.Name != "b" {
			return
		}
		pod.Status.Phase = corev1.PodPending
		pod.Status.Conditions = []corev1.PodCondition{
			{Type: corev1.PodScheduled, Status: corev1.ConditionTrue},
			{Type: corev1.PodReady, Status: corev1.ConditionFalse, Reason: "ContainersNotReady", Message: "containers with unready status: [probe]"},
		}
		pod.Status.ContainerStatuses = []corev1.ContainerStatus{{
			Name:  "probe",
			State: corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: "ImagePullBackOff", Message: `Back-off pulling image "netpolcheck/probe:test"`}},
		}}
		for _, e := range []*corev1.Event{
			event(pod.Namespace, "b", "Warning", "Failed", `Failed to pull image "netpolcheck/probe:test": not found`, 3, 5),
			event(pod.Namespace, "b", "Normal", "Scheduled", "Successfully assigned npc-r1-0-y/b to node-1", 1, 1),
			event(pod.Namespace, "other", "Warning", "Failed", "not about b", 1, 2),
		} {
			if err := k.client.Tracker().Add(e); err != nil {
				t.Error(err)
			}
		}
	}
	opts := testOptions()
	opts.ReadyTimeout = 700 * time.Millisecond
	b := newTestBackend(t, k, &fakeExec{}, opts)
	cl, _ := b.NewCluster(context.Background(), "s")
	_, err := cl.Setup(context.Background(), xyWorld())
	want := `1 probe pod not ready after 700ms:
  y/b (pod b in npc-r1-0-y): phase Pending; Ready: ContainersNotReady containers with unready status: [probe]; ` +
		`container probe waiting: ImagePullBackOff: Back-off pulling image "netpolcheck/probe:test"; ` +
		`events: Normal Scheduled: Successfully assigned npc-r1-0-y/b to node-1; Warning Failed: Failed to pull image "netpolcheck/probe:test": not found (3 times)`
	if got := errText(err); got != want {
		t.Errorf("Setup error:\n%s\nwant:\n%s", got, want)
	}
	var nr *notReadyError
	if !errors.As(err, &nr) {
		t.Errorf("error %T is not a notReadyError", err)
	}
}

func TestHopelessPodFailsAtOnce(t *testing.T) {
	k := newFakeCluster(t)
	k.podState = func(pod *corev1.Pod) {
		pod.Status.Conditions = nil
		pod.Status.ContainerStatuses = []corev1.ContainerStatus{{
			Name:                 "probe",
			RestartCount:         4,
			State:                corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: "CrashLoopBackOff", Message: "back-off 40s restarting failed container"}},
			LastTerminationState: corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{ExitCode: 3}},
		}}
	}
	failsAtOnce(t, k, `1 probe pod cannot start:
  x/a (pod a in npc-r1-0-x): phase Running; container probe waiting: CrashLoopBackOff: back-off 40s restarting failed container (4 restarts); no events`)
}

// failsAtOnce sets up x/a alone with a minute to get ready, and wants Setup
// to fail with want well before that.
func failsAtOnce(t *testing.T, k *fakeKubelet, want string) {
	t.Helper()
	opts := testOptions()
	opts.ReadyTimeout = time.Minute
	b := newTestBackend(t, k, &fakeExec{}, opts)
	cl, _ := b.NewCluster(context.Background(), "s")
	start := time.Now()
	w := xyWorld()
	w.Pods = w.Pods[:1]
	_, err := cl.Setup(context.Background(), w)
	if got := errText(err); got != want {
		t.Errorf("Setup error:\n%s\nwant:\n%s", got, want)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("Setup took %s to fail", d)
	}
}

func TestContainerFacts(t *testing.T) {
	pod := &corev1.Pod{Status: corev1.PodStatus{ContainerStatuses: []corev1.ContainerStatus{
		{Name: "a", State: corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{ExitCode: 2, Reason: "Error", Message: "serve: bind 80/TCP: permission denied"}}},
		{Name: "b", State: corev1.ContainerState{Running: &corev1.ContainerStateRunning{}}},
		{Name: "c", Ready: true, State: corev1.ContainerState{Running: &corev1.ContainerStateRunning{}}},
		{Name: "d"},
	}}}
	got := containerFacts(pod)
	want := []string{
		"container a terminated with exit code 2: Error: serve: bind 80/TCP: permission denied",
		"container b running, not ready",
		"container c running, ready",
		"container d no state",
	}
	if len(got) != len(want) {
		t.Fatalf("containerFacts = %q, want %q", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("fact %d = %q, want %q", i, got[i], want[i])
		}
	}
}

func TestPodIPv4PrefersIPv4(t *testing.T) {
	tests := []struct {
		status corev1.PodStatus
		want   string
	}{
		{corev1.PodStatus{PodIP: "fd00::5", PodIPs: []corev1.PodIP{{IP: "fd00::5"}, {IP: "10.244.1.5"}}}, "10.244.1.5"},
		{corev1.PodStatus{PodIP: "fd00::5", PodIPs: []corev1.PodIP{{IP: "fd00::5"}}}, "fd00::5"},
		{corev1.PodStatus{}, ""},
	}
	for _, tt := range tests {
		if got := podIPv4(&corev1.Pod{Status: tt.status}); got != tt.want {
			t.Errorf("podIPv4(%+v) = %q, want %q", tt.status, got, tt.want)
		}
	}
}

func TestAddPodWaitsForReadiness(t *testing.T) {
	k := newFakeCluster(t)
	opts := testOptions()
	opts.ReadyTimeout = 600 * time.Millisecond
	b := newTestBackend(t, k, &fakeExec{}, opts)
	c, _ := setUp(t, b, xyWorld())
	k.podState = func(pod *corev1.Pod) { pod.Status.Conditions = nil }
	pod := scenarios.Pod{Namespace: "x", Name: "late"}
	_, err := c.Apply(context.Background(), scenarios.Change{Kind: scenarios.AddPod, Pod: &pod})
	want := "1 probe pod not ready after 600ms:\n  x/late (pod late in npc-r1-0-x): phase Running; no events"
	if got := errText(err); got != want {
		t.Errorf("AddPod error %q, want %q", got, want)
	}
}

// TestDeletedPodFailsAtOnce: a pod deleted by someone else while Setup waits
// for it is named at once, not at the readiness timeout.
func TestDeletedPodFailsAtOnce(t *testing.T) {
	k := newFakeCluster(t)
	k.podState = func(pod *corev1.Pod) {
		pod.Status.Conditions = nil // never ready
		go func() {
			time.Sleep(100 * time.Millisecond)
			_ = k.client.Tracker().Delete(corev1.SchemeGroupVersion.WithResource("pods"), pod.Namespace, pod.Name)
		}()
	}
	failsAtOnce(t, k, `1 probe pod cannot start:
  x/a (pod a in npc-r1-0-x): pods "a" not found`)
}
