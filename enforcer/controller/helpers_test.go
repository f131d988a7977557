package controller

import (
	"context"
	"fmt"
	"maps"
	"net/netip"
	"slices"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes"

	"github.com/netpolcheck/netpolcheck/enforcer/compile"
	"github.com/netpolcheck/netpolcheck/enforcer/controller/memclient"
	"github.com/netpolcheck/netpolcheck/enforcer/datapath"
)

const testNode = "node-1"

type podTweak func(*corev1.Pod)

// makePod is a running pod on testNode with one container serving ports.
func makePod(namespace, name, ip string, tweaks ...podTweak) *corev1.Pod {
	p := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: name, Labels: map[string]string{"pod": name}},
		Spec:       corev1.PodSpec{NodeName: testNode, Containers: []corev1.Container{{Name: "c"}}},
		Status:     corev1.PodStatus{Phase: corev1.PodRunning, PodIP: ip},
	}
	for _, tweak := range tweaks {
		tweak(p)
	}
	return p
}

func onNode(node string) podTweak { return func(p *corev1.Pod) { p.Spec.NodeName = node } }

func withPhase(phase corev1.PodPhase) podTweak {
	return func(p *corev1.Pod) { p.Status.Phase = phase }
}

func withHostNetwork() podTweak { return func(p *corev1.Pod) { p.Spec.HostNetwork = true } }

func withPodIPs(ips ...string) podTweak {
	return func(p *corev1.Pod) {
		p.Status.PodIP = ""
		for _, ip := range ips {
			p.Status.PodIPs = append(p.Status.PodIPs, corev1.PodIP{IP: ip})
		}
	}
}

func makeNamespace(name string) *corev1.Namespace {
	return &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}}
}

// denyIngress isolates the pods labelled pod=target from all ingress.
func denyIngress(namespace, name, target string) *networkingv1.NetworkPolicy {
	return &networkingv1.NetworkPolicy{
		ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: name},
		Spec: networkingv1.NetworkPolicySpec{
			PodSelector: metav1.LabelSelector{MatchLabels: map[string]string{"pod": target}},
			PolicyTypes: []networkingv1.PolicyType{networkingv1.PolicyTypeIngress},
		},
	}
}

// allowIngressFrom lets pods labelled pod=from reach pods labelled pod=target.
func allowIngressFrom(namespace, name, target, from string) *networkingv1.NetworkPolicy {
	np := denyIngress(namespace, name, target)
	np.Spec.Ingress = []networkingv1.NetworkPolicyIngressRule{{
		From: []networkingv1.NetworkPolicyPeer{{PodSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"pod": from}}}},
	}}
	return np
}

// staticRoutes is a node's routing table the test controls.
type staticRoutes struct {
	mu     sync.Mutex
	routes map[netip.Addr]int
}

func newStaticRoutes(routes map[string]int) *staticRoutes {
	r := &staticRoutes{routes: map[netip.Addr]int{}}
	for ip, ifindex := range routes {
		r.routes[netip.MustParseAddr(ip)] = ifindex
	}
	return r
}

func (r *staticRoutes) HostRoutes() (map[netip.Addr]int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return maps.Clone(r.routes), nil
}

func (r *staticRoutes) set(ip string, ifindex int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.routes[netip.MustParseAddr(ip)] = ifindex
}

// recordingDatapath keeps what a real datapath would be told, in order.
type recordingDatapath struct {
	mu       sync.Mutex
	attached map[int]bool
	log      []string
	tables   []*compile.Tables
	gen      uint32
	// lastApply is the last apply line logged.
	lastApply string
	// failApply makes Apply fail while it is set.
	failApply error
}

func newRecordingDatapath() *recordingDatapath {
	return &recordingDatapath{attached: map[int]bool{}}
}

func (d *recordingDatapath) Attach(ifindex int) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if !d.attached[ifindex] {
		d.attached[ifindex] = true
		d.log = append(d.log, fmt.Sprintf("attach %d", ifindex))
	}
	return nil
}

func (d *recordingDatapath) Detach(ifindex int) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.attached[ifindex] {
		delete(d.attached, ifindex)
		d.log = append(d.log, fmt.Sprintf("detach %d", ifindex))
	}
	return nil
}

func (d *recordingDatapath) Attached() []int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return slices.Sorted(maps.Keys(d.attached))
}

func (d *recordingDatapath) Apply(t *compile.Tables) (uint32, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.failApply != nil {
		return 0, d.failApply
	}
	d.gen++
	d.tables = append(d.tables, t)
	var endpoints []string
	for _, ep := range t.Endpoints {
		endpoints = append(endpoints, fmt.Sprintf("%s@%d", ep.Pod, ep.Ifindex))
	}
	// How many syncs a burst of events takes is up to the scheduler, so
	// only applies that change the endpoints are logged.
	if line := fmt.Sprintf("apply %v", endpoints); line != d.lastApply {
		d.log = append(d.log, line)
		d.lastApply = line
	}
	return d.gen, nil
}

func (d *recordingDatapath) Counters() (datapath.Counters, error) {
	return datapath.Counters{IngressDenied: 3}, nil
}

func (d *recordingDatapath) WatchDrops(ctx context.Context, fn func(datapath.Drop)) error {
	<-ctx.Done()
	return nil
}

func (d *recordingDatapath) setFailApply(err error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.failApply = err
}

// takeLog returns the log so far and clears it.
func (d *recordingDatapath) takeLog() []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	out := d.log
	d.log = nil
	return out
}

func (d *recordingDatapath) lastTables() *compile.Tables {
	d.mu.Lock()
	defer d.mu.Unlock()
	if len(d.tables) == 0 {
		return nil
	}
	return d.tables[len(d.tables)-1]
}

// newClient is an in-memory clientset holding objects.
func newClient(objects ...runtime.Object) *memclient.Clientset {
	c, err := memclient.New(objects...)
	if err != nil {
		panic(err)
	}
	return c
}

// startController runs a controller until the test ends, returning once
// its informers watch.
func startController(tb testing.TB, client *memclient.Clientset, opts Options) *Controller {
	tb.Helper()
	c, err := New(client, opts)
	if err != nil {
		tb.Fatalf("New: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- c.Run(ctx) }()
	tb.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			tb.Errorf("Run: %v", err)
		}
	})
	// The in-memory clientset loses writes made before the informers watch.
	wait, stop := context.WithTimeout(context.Background(), 10*time.Second)
	defer stop()
	if err := client.WaitWatching(wait, "namespaces", "pods", "networkpolicies"); err != nil {
		tb.Fatal(err)
	}
	return c
}

// syncTo writes marker n and waits until the controller has it in force.
func syncTo(tb testing.TB, c *Controller, client kubernetes.Interface, n uint64) Status {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := WriteSyncMarker(ctx, client, n); err != nil {
		tb.Fatal(err)
	}
	s, err := c.WaitFor(ctx, func(s Status) bool { return s.Marker >= n })
	if err != nil {
		tb.Fatalf("marker %d not in force: %v (%s)", n, err, s)
	}
	return s
}
