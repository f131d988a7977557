package kind

import (
	"context"
	"fmt"
	"io"
	"slices"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"

	"github.com/netpolcheck/netpolcheck/enforcer/manifests"
)

func TestRolloutProgress(t *testing.T) {
	ds := func(generation, observed int64, desired, updated, available int32) *appsv1.DaemonSet {
		return &appsv1.DaemonSet{
			ObjectMeta: metav1.ObjectMeta{Generation: generation},
			Status: appsv1.DaemonSetStatus{ObservedGeneration: observed, DesiredNumberScheduled: desired,
				UpdatedNumberScheduled: updated, NumberAvailable: available},
		}
	}
	tests := []struct {
		name     string
		ds       *appsv1.DaemonSet
		nodes    int
		done     bool
		progress string
	}{
		{"unseen generation", ds(2, 1, 3, 3, 3), 3, false, "the DaemonSet controller has not seen generation 2 yet"},
		{"not on every node", ds(1, 1, 2, 2, 2), 3, false, "scheduled on 2 of 3 nodes"},
		{"old pods left", ds(2, 2, 3, 1, 3), 3, false, "1 of 3 pods run the new template"},
		{"not all ready", ds(1, 1, 3, 3, 2), 3, false, "2 of 3 pods Ready"},
		{"done", ds(1, 1, 3, 3, 3), 3, true, "3 of 3 pods Ready"},
		{"done on one node", ds(4, 5, 1, 1, 1), 1, true, "1 of 1 pods Ready"},
	}
	for _, tt := range tests {
		done, progress := rolloutProgress(tt.ds, tt.nodes)
		if done != tt.done || progress != tt.progress {
			t.Errorf("%s: rolloutProgress = %v, %q; want %v, %q", tt.name, done, progress, tt.done, tt.progress)
		}
	}
}

// rolledOut makes the fake API server report every DaemonSet written as
// running Ready on nodes nodes, as the DaemonSet controller would.
func rolledOut(client *fake.Clientset, nodes int32) {
	mark := func(action k8stesting.Action) (bool, runtime.Object, error) {
		var obj runtime.Object
		switch a := action.(type) {
		case k8stesting.CreateAction:
			obj = a.GetObject()
		case k8stesting.UpdateAction:
			obj = a.GetObject()
		}
		ds := obj.(*appsv1.DaemonSet)
		ds.Status = appsv1.DaemonSetStatus{ObservedGeneration: ds.Generation, DesiredNumberScheduled: nodes,
			UpdatedNumberScheduled: nodes, NumberReady: nodes, NumberAvailable: nodes}
		return false, nil, nil
	}
	client.PrependReactor("create", "daemonsets", mark)
	client.PrependReactor("update", "daemonsets", mark)
}

// Bounding sets of kind nodes: every capability of Linux 6.x, and what a
// docker daemon that predates CAP_PERFMON and CAP_BPF grants (bits 0-37).
const (
	allCaps   = "000001ffffffffff"
	dockerOld = "0000003fffffffff"
)

// fakeCluster is a cluster of fake nodes whose PID 1 has the bounding set capBnd.
func fakeCluster(client *fake.Clientset, nodes int, capBnd string) *Cluster {
	c := &Cluster{name: "npc", client: client, opts: Options{Log: io.Discard}}
	for i := range nodes {
		n := newFakeNode(fmt.Sprintf("npc-node%d", i))
		n.stdout["cat /proc/1/status"] = "Name:\tsystemd\nCapPrm:\t" + capBnd + "\nCapBnd:\t" + capBnd + "\n"
		c.nodes = append(c.nodes, podNetworkNode{node: n})
	}
	return c
}

func TestDeployEnforcerCreatesThenUpdates(t *testing.T) {
	ctx := context.Background()
	client := fake.NewClientset()
	rolledOut(client, 3)
	c := fakeCluster(client, 3, allCaps)

	image, err := c.EnforcerImage(ctx)
	if err != nil || image != "" {
		t.Fatalf("EnforcerImage before deploying = %q, %v; want \"\", nil", image, err)
	}
	for _, img := range []string{"netpolcheck/enforcer:v1", "netpolcheck/enforcer:v2"} {
		if err := c.DeployEnforcer(ctx, img, time.Second); err != nil {
			t.Fatalf("DeployEnforcer(%s): %v", img, err)
		}
		if got, err := c.EnforcerImage(ctx); err != nil || got != img {
			t.Errorf("EnforcerImage after deploying %s = %q, %v", img, got, err)
		}
	}
	if _, err := client.CoreV1().ServiceAccounts(manifests.Namespace).Get(ctx, manifests.Name, metav1.GetOptions{}); err != nil {
		t.Errorf("service account: %v", err)
	}
	if _, err := client.RbacV1().ClusterRoles().Get(ctx, manifests.Name, metav1.GetOptions{}); err != nil {
		t.Errorf("cluster role: %v", err)
	}
	if _, err := client.RbacV1().ClusterRoleBindings().Get(ctx, manifests.Name, metav1.GetOptions{}); err != nil {
		t.Errorf("cluster role binding: %v", err)
	}
	for _, n := range c.nodes {
		want := "cat /proc/1/status|sh -c mountpoint -q /sys/fs/bpf || mount -t bpf bpf /sys/fs/bpf"
		if got := strings.Join(n.node.(*fakeNode).commands(), "|"); got != want+"|"+want {
			t.Errorf("node %s ran %q; want %q twice", n.node, got, want)
		}
	}
	var creates, updates int
	for _, a := range client.Actions() {
		switch a.GetVerb() {
		case "create":
			creates++
		case "update":
			updates++
		}
	}
	if creates != 8 || updates != 4 {
		t.Errorf("%d creates and %d updates; want 8 (4 made, 4 refused as existing) and 4", creates, updates)
	}
}

func TestDeployEnforcerRefusesABadImage(t *testing.T) {
	c := fakeCluster(fake.NewClientset(), 1, allCaps)
	err := c.DeployEnforcer(context.Background(), "Bad Image", time.Second)
	want := `kind cluster npc: deploy enforcer: render enforcer manifests: image "Bad Image" is not an image reference`
	if err == nil || err.Error() != want {
		t.Errorf("DeployEnforcer = %v; want %s", err, want)
	}
}

// enforcerDaemonSet is the enforcer's DaemonSet with the given status.
func enforcerDaemonSet(desired, available int32) *appsv1.DaemonSet {
	return &appsv1.DaemonSet{
		ObjectMeta: metav1.ObjectMeta{Name: manifests.Name, Namespace: manifests.Namespace, Generation: 1},
		Status: appsv1.DaemonSetStatus{ObservedGeneration: 1, DesiredNumberScheduled: desired,
			UpdatedNumberScheduled: desired, NumberAvailable: available},
	}
}

// enforcerPod is one enforcer pod on node with the given container status.
func enforcerPod(name, node string, ready bool, cs corev1.ContainerStatus) *corev1.Pod {
	status := corev1.ConditionFalse
	if ready {
		status = corev1.ConditionTrue
	}
	cs.Name = "enforcer"
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: manifests.Namespace,
			Labels: map[string]string{"app.kubernetes.io/name": manifests.Name}},
		Spec: corev1.PodSpec{NodeName: node},
		Status: corev1.PodStatus{Phase: corev1.PodRunning,
			Conditions:        []corev1.PodCondition{{Type: corev1.PodReady, Status: status}},
			ContainerStatuses: []corev1.ContainerStatus{cs}},
	}
}

func event(kind, name, reason, message string, count int32, at time.Time) *corev1.Event {
	return &corev1.Event{
		ObjectMeta:     metav1.ObjectMeta{Name: name + "." + reason, Namespace: manifests.Namespace},
		InvolvedObject: corev1.ObjectReference{Kind: kind, Name: name},
		Reason:         reason, Message: message, Count: count, LastTimestamp: metav1.NewTime(at),
	}
}

func TestWaitEnforcer(t *testing.T) {
	at := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	running := corev1.ContainerStatus{State: corev1.ContainerState{Running: &corev1.ContainerStateRunning{}}}
	readyCS := running
	readyCS.Ready = true
	crashing := corev1.ContainerStatus{
		State:                corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: "CrashLoopBackOff", Message: "back-off 10s"}},
		LastTerminationState: corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{ExitCode: 1}},
		RestartCount:         2,
	}
	neverPull := corev1.ContainerStatus{State: corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: "ErrImageNeverPull"}}}
	tests := []struct {
		name  string
		nodes int
		objs  []runtime.Object
		want  string
	}{
		{
			name: "ready on every node", nodes: 3,
			objs: []runtime.Object{enforcerDaemonSet(3, 3)},
		},
		{
			name: "a pod crashes: fails at once with its state, events and log", nodes: 3,
			objs: []runtime.Object{
				enforcerDaemonSet(3, 2),
				enforcerPod("enf-a", "npc-control-plane", true, readyCS),
				enforcerPod("enf-b", "npc-worker", false, crashing),
				event("Pod", "enf-b", "Started", "Started container enforcer", 3, at),
				event("Pod", "enf-b", "BackOff", "Back-off restarting failed container", 2, at.Add(time.Second)),
				event("Pod", "enf-a", "Started", "Started container enforcer", 1, at),
			},
			want: "enforcer cannot start (2 of 3 pods Ready)\n" +
				"  enf-b on npc-worker: phase Running; container enforcer waiting: CrashLoopBackOff back-off 10s (2 restarts), last exit code 1; " +
				"events: Started: Started container enforcer (3 times) | BackOff: Back-off restarting failed container (2 times); log: fake logs",
		},
		{
			name: "an image that was not loaded", nodes: 1,
			objs: []runtime.Object{enforcerDaemonSet(1, 0), enforcerPod("enf-c", "npc-control-plane", false, neverPull)},
			want: "enforcer cannot start (0 of 1 pods Ready)\n" +
				"  enf-c on npc-control-plane: phase Running; container enforcer waiting: ErrImageNeverPull; events: none; log: fake logs",
		},
		{
			name: "running but never ready: the timeout", nodes: 3,
			objs: []runtime.Object{enforcerDaemonSet(3, 2), enforcerPod("enf-d", "npc-worker2", false, running)},
			want: "enforcer not Ready after 50ms (2 of 3 pods Ready)\n" +
				"  enf-d on npc-worker2: phase Running; container enforcer running, not ready; events: none; log: fake logs",
		},
		{
			name: "no pods at all: the DaemonSet's events", nodes: 3,
			objs: []runtime.Object{enforcerDaemonSet(0, 0), event("DaemonSet", manifests.Name, "FailedCreate", "pods \"x\" is forbidden", 4, at)},
			want: "enforcer not Ready after 50ms (scheduled on 0 of 3 nodes)\n" +
				"  no pods; DaemonSet FailedCreate: pods \"x\" is forbidden (4 times)",
		},
	}
	for _, tt := range tests {
		client := fake.NewClientset(tt.objs...)
		err := waitEnforcer(context.Background(), client, tt.nodes, 50*time.Millisecond)
		got := ""
		if err != nil {
			got = err.Error()
		}
		if got != tt.want {
			t.Errorf("%s: waitEnforcer =\n%s\nwant\n%s", tt.name, got, tt.want)
		}
	}
}

func TestWaitEnforcerWithoutDaemonSet(t *testing.T) {
	err := waitEnforcer(context.Background(), fake.NewClientset(), 1, time.Second)
	want := `wait for enforcer: read enforcer DaemonSet: daemonsets.apps "netpolcheck-enforcer" not found`
	if err == nil || err.Error() != want {
		t.Errorf("waitEnforcer = %v; want %s", err, want)
	}
}

// enforcerCapabilities reads the capabilities the deployed DaemonSet adds.
func enforcerCapabilities(t *testing.T, client *fake.Clientset) []corev1.Capability {
	t.Helper()
	ds, err := client.AppsV1().DaemonSets(manifests.Namespace).Get(context.Background(), manifests.Name, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return ds.Spec.Template.Spec.Containers[0].SecurityContext.Capabilities.Add
}

func TestDeployEnforcerFitsTheNodesCapabilities(t *testing.T) {
	tests := []struct {
		capBnd string
		want   []corev1.Capability
	}{
		{allCaps, []corev1.Capability{"BPF", "NET_ADMIN", "PERFMON"}},
		{dockerOld, []corev1.Capability{"NET_ADMIN", "SYS_ADMIN"}},
	}
	for _, tt := range tests {
		client := fake.NewClientset()
		rolledOut(client, 2)
		if err := fakeCluster(client, 2, tt.capBnd).DeployEnforcer(context.Background(), "netpolcheck/enforcer:v1", time.Second); err != nil {
			t.Fatalf("CapBnd %s: %v", tt.capBnd, err)
		}
		if got := enforcerCapabilities(t, client); !slices.Equal(got, tt.want) {
			t.Errorf("CapBnd %s: capabilities %v; want %v", tt.capBnd, got, tt.want)
		}
	}
}

func TestFitCapabilities(t *testing.T) {
	const (
		noBPF      = uint64(1)<<38 - 1                // bits 0-37
		noSysAdmin = noBPF &^ (1 << 21)               // and no CAP_SYS_ADMIN either
		noPerfmon  = (uint64(1)<<41 - 1) &^ (1 << 38) // everything but CAP_PERFMON
	)
	tests := []struct {
		name     string
		add      []corev1.Capability
		bounding uint64
		want     []corev1.Capability
		replaced []corev1.Capability
	}{
		{"all granted", []corev1.Capability{"BPF", "NET_ADMIN", "PERFMON"}, 1<<41 - 1, []corev1.Capability{"BPF", "NET_ADMIN", "PERFMON"}, nil},
		{"old docker", []corev1.Capability{"BPF", "NET_ADMIN", "PERFMON"}, noBPF, []corev1.Capability{"NET_ADMIN", "SYS_ADMIN"}, []corev1.Capability{"BPF", "PERFMON"}},
		{"one missing", []corev1.Capability{"BPF", "NET_ADMIN", "PERFMON"}, noPerfmon, []corev1.Capability{"BPF", "NET_ADMIN", "SYS_ADMIN"}, []corev1.Capability{"PERFMON"}},
		{"SYS_ADMIN already asked", []corev1.Capability{"SYS_ADMIN", "BPF"}, noBPF, []corev1.Capability{"SYS_ADMIN"}, []corev1.Capability{"BPF"}},
		{"no SYS_ADMIN to stand in", []corev1.Capability{"BPF", "NET_ADMIN"}, noSysAdmin, []corev1.Capability{"BPF", "NET_ADMIN"}, nil},
		{"unknown capability kept", []corev1.Capability{"CHOWN", "BPF"}, noBPF, []corev1.Capability{"CHOWN", "SYS_ADMIN"}, []corev1.Capability{"BPF"}},
	}
	for _, tt := range tests {
		ds := &appsv1.DaemonSet{}
		ds.Spec.Template.Spec.Containers = []corev1.Container{{Name: "enforcer",
			SecurityContext: &corev1.SecurityContext{Capabilities: &corev1.Capabilities{Add: slices.Clone(tt.add)}}}}
		replaced := fitCapabilities(ds, tt.bounding)
		got := ds.Spec.Template.Spec.Containers[0].SecurityContext.Capabilities.Add
		if !slices.Equal(got, tt.want) || !slices.Equal(replaced, tt.replaced) {
			t.Errorf("%s: capabilities %v, replaced %v; want %v, %v", tt.name, got, replaced, tt.want, tt.replaced)
		}
	}
}

func TestBoundingSet(t *testing.T) {
	tests := []struct {
		status string
		want   uint64
		err    string
	}{
		{"Name:\tsystemd\nCapBnd:\t0000003ffeffffff\nCapAmb:\t0\n", 0x3ffeffffff, ""},
		{"CapBnd:\t000001ffffffffff", 0x1ffffffffff, ""},
		{"Name:\tsystemd\n", 0, "no CapBnd line in the process status"},
		{"CapBnd:\tzz\n", 0, `parse CapBnd "zz": strconv.ParseUint: parsing "zz": invalid syntax`},
	}
	for _, tt := range tests {
		got, err := boundingSet(strings.NewReader(tt.status))
		gotErr := ""
		if err != nil {
			gotErr = err.Error()
		}
		if got != tt.want || gotErr != tt.err {
			t.Errorf("boundingSet(%q) = %#x, %q; want %#x, %q", tt.status, got, gotErr, tt.want, tt.err)
		}
	}
}
