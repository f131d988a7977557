package kube

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"sort"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"

	"github.com/netpolcheck/netpolcheck/probes"
	"github.com/netpolcheck/netpolcheck/scenarios"
)

// fakeKubelet plays the parts of a cluster the fake clientset lacks: it
// gives namespaces UIDs, makes created pods ready with the next pod IP (or
// leaves them in the state podState says), and gives Services a ClusterIP and
// a ready EndpointSlice.
type fakeKubelet struct {
	client *fake.Clientset

	mu       sync.Mutex
	nextPod  netip.Addr
	nextSvc  netip.Addr
	podState func(pod *corev1.Pod) // nil: Running and Ready
}

func newFakeCluster(t testing.TB, objects ...runtime.Object) *fakeKubelet {
	t.Helper()
	k := &fakeKubelet{
		client:  fake.NewClientset(objects...),
		nextPod: netip.MustParseAddr("10.244.0.10"),
		nextSvc: netip.MustParseAddr("10.96.0.10"),
	}
	k.client.PrependReactor("create", "namespaces", func(a k8stesting.Action) (bool, runtime.Object, error) {
		ns := a.(k8stesting.CreateAction).GetObject().(*corev1.Namespace)
		ns.UID = types.UID("uid-" + ns.Name)
		return false, nil, nil
	})
	k.client.PrependReactor("create", "pods", func(a k8stesting.Action) (bool, runtime.Object, error) {
		k.start(a.(k8stesting.CreateAction).GetObject().(*corev1.Pod))
		return false, nil, nil
	})
	k.client.PrependReactor("create", "services", func(a k8stesting.Action) (bool, runtime.Object, error) {
		k.expose(a.(k8stesting.CreateAction).GetObject().(*corev1.Service))
		return false, nil, nil
	})
	return k
}

func (k *fakeKubelet) start(pod *corev1.Pod) {
	k.mu.Lock()
	defer k.mu.Unlock()
	ip := k.nextPod.String()
	k.nextPod = k.nextPod.Next()
	pod.Status = corev1.PodStatus{
		Phase:      corev1.PodRunning,
		PodIP:      ip,
		PodIPs:     []corev1.PodIP{{IP: ip}},
		Conditions: []corev1.PodCondition{{Type: corev1.PodReady, Status: corev1.ConditionTrue}},
	}
	if k.podState != nil {
		k.podState(pod)
	}
	// A Service made before its pod (the model's DNS) gets its endpoint now.
	svcs, _ := k.client.Tracker().List(corev1.SchemeGroupVersion.WithResource("services"), corev1.SchemeGroupVersion.WithKind("Service"), pod.Namespace)
	for _, svc := range svcs.(*corev1.ServiceList).Items {
		if sel := svc.Spec.Selector[PodLabel]; sel != "" && sel == pod.Labels[PodLabel] {
			_ = k.client.Tracker().Add(endpointSlice(&svc, pod.Status.PodIP))
		}
	}
}

// endpointSlice lists ip as the ready endpoint of svc.
func endpointSlice(svc *corev1.Service, ip string) *discoveryv1.EndpointSlice {
	return &discoveryv1.EndpointSlice{
		ObjectMeta:  metav1.ObjectMeta{Name: svc.Name + "-abc", Namespace: svc.Namespace, Labels: map[string]string{discoveryv1.LabelServiceName: svc.Name}},
		AddressType: discoveryv1.AddressTypeIPv4,
		Endpoints:   []discoveryv1.Endpoint{{Addresses: []string{ip}, Conditions: discoveryv1.EndpointConditions{Ready: ptr(true)}}},
	}
}

// expose gives the Service an address and an EndpointSlice listing the
// address the next pod of that name got (pods are created before their Service).
func (k *fakeKubelet) expose(svc *corev1.Service) {
	k.mu.Lock()
	ip := k.nextSvc.String()
	k.nextSvc = k.nextSvc.Next()
	k.mu.Unlock()
	svc.Spec.ClusterIP = ip
	pods, _ := k.client.Tracker().List(corev1.SchemeGroupVersion.WithResource("pods"), corev1.SchemeGroupVersion.WithKind("Pod"), svc.Namespace)
	for _, p := range pods.(*corev1.PodList).Items {
		if p.Labels[PodLabel] != svc.Spec.Selector[PodLabel] {
			continue
		}
		_ = k.client.Tracker().Add(endpointSlice(svc, p.Status.PodIP))
	}
}

// errEmptyStream from fakeExec.fail makes the exec succeed with nothing on
// stdout or stderr, as a stream the API server ended early does.
var errEmptyStream = errors.New("empty stream")

// fakeExec answers batches as probe connect --batch would, through answer,
// and records every exec.
type fakeExec struct {
	answer func(req ExecRequest, j probes.Job) probes.Result
	fail   func(req ExecRequest) error
	delay  time.Duration

	mu          sync.Mutex
	calls       []execCall
	inFlight    int
	maxInFlight int
}

type execCall struct {
	Namespace, Pod, Container string
	Command                   []string
	Jobs                      []probes.Job
}

func (f *fakeExec) Exec(ctx context.Context, req ExecRequest) error {
	if req.Stdin == nil {
		// A command, not a batch (the DNS records): recorded only.
		f.mu.Lock()
		defer f.mu.Unlock()
		f.calls = append(f.calls, execCall{req.Namespace, req.Pod, req.Container, req.Command, nil})
		return nil
	}
	jobs, err := probes.DecodeJobs(req.Stdin)
	if err != nil {
		return err
	}
	f.mu.Lock()
	f.calls = append(f.calls, execCall{req.Namespace, req.Pod, req.Container, req.Command, jobs})
	f.inFlight++
	f.maxInFlight = max(f.maxInFlight, f.inFlight)
	f.mu.Unlock()
	defer func() {
		f.mu.Lock()
		f.inFlight--
		f.mu.Unlock()
	}()
	if f.delay > 0 {
		if err := sleep(ctx, f.delay); err != nil {
			return err
		}
	}
	if f.fail != nil {
		if err := f.fail(req); err != nil {
			if err == errEmptyStream {
				return nil
			}
			fmt.Fprint(req.Stderr, "probe: something broke\n")
			return err
		}
	}
	results := make([]probes.Result, len(jobs))
	for i, j := range jobs {
		if f.answer != nil {
			results[i] = f.answer(req, j)
		} else {
			results[i] = probes.Result{Job: j, Outcome: probes.Allowed, Detail: "answered " + j.Expect}
		}
	}
	return probes.EncodeResults(req.Stdout, results)
}

// sortedCalls returns the execs ordered by namespace and pod, as they run concurrently.
func (f *fakeExec) sortedCalls() []execCall {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := append([]execCall(nil), f.calls...)
	sort.Slice(out, func(i, j int) bool {
		return out[i].Namespace+"/"+out[i].Pod < out[j].Namespace+"/"+out[j].Pod
	})
	return out
}

// testOptions are quick options for the fake cluster.
func testOptions() Options {
	return Options{
		RunID:        "r1",
		ProbeImage:   "netpolcheck/probe:test",
		ReadyTimeout: 2 * time.Second,
		Heartbeat:    time.Hour,
		// One at a time, so that the fake hands out addresses in the
		// world's order; TestSetupCreatesSideBySide covers more.
		SetupConcurrency: 1,
	}
}

// newTestBackend makes a backend on the fake cluster and closes it at the end of the test.
func newTestBackend(t testing.TB, k *fakeKubelet, exec Executor, opts Options) *Backend {
	t.Helper()
	b, err := New(context.Background(), k.client, exec, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = b.Close(context.Background()) })
	return b
}

// xyWorld is namespaces x and y with pods x/a (80/TCP, 81/UDP named dns) and y/b (80/TCP).
func xyWorld() *scenarios.World {
	return &scenarios.World{
		Namespaces: []scenarios.Namespace{
			{Name: "x", Labels: map[string]string{"kubernetes.io/metadata.name": "x", "team": "red"}},
			{Name: "y", Labels: map[string]string{"kubernetes.io/metadata.name": "y"}},
		},
		Pods: []scenarios.Pod{
			{Namespace: "x", Name: "a", Labels: map[string]string{"pod": "a"}, Ports: []scenarios.Port{{Port: 80, Protocol: scenarios.TCP}, {Name: "dns", Port: 81, Protocol: scenarios.UDP}}},
			{Namespace: "y", Name: "b", Labels: map[string]string{"pod": "b"}, Ports: []scenarios.Port{{Port: 80, Protocol: scenarios.TCP}}},
		},
	}
}

// setUp makes a cluster of the backend and sets up w on it.
func setUp(t testing.TB, b *Backend, w *scenarios.World) (*Cluster, map[string]string) {
	t.Helper()
	cl, err := b.NewCluster(context.Background(), "test-scenario")
	if err != nil {
		t.Fatal(err)
	}
	c := cl.(*Cluster)
	addrs, err := c.Setup(context.Background(), w)
	if err != nil {
		t.Fatal(err)
	}
	return c, addrs
}

func getNamespace(t testing.TB, k *fakeKubelet, name string) *corev1.Namespace {
	t.Helper()
	ns, err := k.client.CoreV1().Namespaces().Get(context.Background(), name, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return ns
}

func getPod(t testing.TB, k *fakeKubelet, ns, name string) *corev1.Pod {
	t.Helper()
	pod, err := k.client.CoreV1().Pods(ns).Get(context.Background(), name, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return pod
}
