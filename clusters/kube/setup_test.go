package kube

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	k8stesting "k8s.io/client-go/testing"

	"github.com/netpolcheck/netpolcheck/scenarios"

	"github.com/netpolcheck/netpolcheck/clusters"
	"github.com/netpolcheck/netpolcheck/probes"
)

func TestSetupCreatesOwnedNamespacesAndPods(t *testing.T) {
	k := newFakeCluster(t)
	b := newTestBackend(t, k, &fakeExec{}, testOptions())
	c, addrs := setUp(t, b, xyWorld())

	if want := (clusters.Addresses{"x/a": "10.244.0.10", "y/b": "10.244.0.11"}); !reflect.DeepEqual(clusters.Addresses(addrs), want) {
		t.Errorf("addresses %v, want %v", addrs, want)
	}
	x := getNamespace(t, k, "npc-r1-0-x")
	wantLabels := map[string]string{"kubernetes.io/metadata.name": "npc-r1-0-x", "team": "red", RunLabel: "r1", ClusterLabel: "r1-0"}
	if !reflect.DeepEqual(x.Labels, wantLabels) {
		t.Errorf("namespace labels %v, want %v", x.Labels, wantLabels)
	}
	if x.Annotations[ScenarioAnnotation] != "test-scenario" || x.Annotations[NamespaceAnnotation] != "x" || x.Annotations[ExpiresAnnotation] == "" {
		t.Errorf("namespace annotations %v", x.Annotations)
	}
	pod := getPod(t, k, "npc-r1-0-y", "b")
	if pod.Annotations[IdentityAnnotation] != "y/b" || !reflect.DeepEqual(pod.Labels, map[string]string{"pod": "b"}) {
		t.Errorf("pod y/b has labels %v and annotations %v", pod.Labels, pod.Annotations)
	}
	if got := c.RealNamespace("y"); got != "npc-r1-0-y" {
		t.Errorf("RealNamespace(y) = %q", got)
	}
	if got, ok := c.ScenarioNamespace("npc-r1-0-y"); got != "y" || !ok {
		t.Errorf("ScenarioNamespace(npc-r1-0-y) = %q, %v", got, ok)
	}
}

func TestSetupRefusesReservedLabels(t *testing.T) {
	k := newFakeCluster(t)
	b := newTestBackend(t, k, &fakeExec{}, testOptions())
	w := xyWorld()
	w.Pods[1].Labels[RunLabel] = "someone-else"
	cl, _ := b.NewCluster(context.Background(), "s")
	_, err := cl.Setup(context.Background(), w)
	if got, want := errText(err), "pod y/b: label netpolcheck.io/run is reserved for netpolcheck"; got != want {
		t.Errorf("Setup error %q, want %q", got, want)
	}
	list, _ := k.client.CoreV1().Namespaces().List(context.Background(), metav1.ListOptions{})
	if len(list.Items) != 0 {
		t.Errorf("Setup created %d namespaces before refusing", len(list.Items))
	}
}

func TestSetupNeverAdoptsAnExistingNamespace(t *testing.T) {
	theirs := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "npc-r1-0-x", Labels: map[string]string{"owner": "them"}}}
	k := newFakeCluster(t, theirs)
	b := newTestBackend(t, k, &fakeExec{}, testOptions())
	cl, _ := b.NewCluster(context.Background(), "s")
	_, err := cl.Setup(context.Background(), xyWorld())
	if got, want := errText(err), "create namespace npc-r1-0-x for x: it exists already and is not this cluster's"; got != want {
		t.Errorf("Setup error %q, want %q", got, want)
	}
	if err := cl.Teardown(context.Background()); err != nil {
		t.Fatalf("Teardown: %v", err)
	}
	if ns := getNamespace(t, k, "npc-r1-0-x"); ns.Labels["owner"] != "them" {
		t.Errorf("their namespace was changed: %v", ns.Labels)
	}
}

func TestSetupRetriesWhileTheServiceAccountIsMissing(t *testing.T) {
	k := newFakeCluster(t)
	refusals := 2
	k.client.PrependReactor("create", "pods", func(a k8stesting.Action) (bool, runtime.Object, error) {
		if refusals == 0 {
			return false, nil, nil
		}
		refusals--
		return true, nil, apierrors.NewForbidden(schema.GroupResource{Resource: "pods"}, "a",
			errors.New(`error looking up service account npc-r1-0-x/default: serviceaccount "default" not found`))
	})
	b := newTestBackend(t, k, &fakeExec{}, testOptions())
	_, addrs := setUp(t, b, xyWorld())
	if len(addrs) != 2 || refusals != 0 {
		t.Errorf("after %d refusals left, addresses %v", refusals, addrs)
	}
}

func TestClaimRunID(t *testing.T) {
	left := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "npc-r1-0-x", Labels: map[string]string{RunLabel: "r1"}}}
	k := newFakeCluster(t, left)
	_, err := New(context.Background(), k.client, &fakeExec{}, testOptions())
	if got, want := errText(err), "kube backend: run ID r1 is taken: 1 namespaces carry it (netpolcheck clean removes them)"; got != want {
		t.Errorf("New error %q, want %q", got, want)
	}
	opts := testOptions()
	opts.RunID = ""
	b := newTestBackend(t, k, &fakeExec{}, opts)
	if id := b.RunID(); len(id) != 6 || strings.Trim(id, "0123456789abcdef") != "" {
		t.Errorf("random run ID %q is not six hex characters", id)
	}
}

func TestCapabilities(t *testing.T) {
	tests := []struct {
		name string
		opts func(*Options)
		want clusters.Capabilities
	}{
		{"defaults", func(*Options) {}, clusters.Capabilities{
			SCTPReason:          "not requested (--sctp)",
			ExternalHostsReason: "this cluster has none (give --external-host NAME=IP for a probe server pods can reach)",
		}},
		{"sctp on, static hosts", func(o *Options) { o.SCTP = SCTPOn; o.StaticHosts = []StaticHost{{"h", "192.0.2.1"}} },
			clusters.Capabilities{SCTP: true, ExternalHosts: true, ExternalHostsExclusive: true}},
		{"provider", func(o *Options) { o.ExternalHosts = noHosts{} },
			clusters.Capabilities{SCTPReason: "not requested (--sctp)", ExternalHosts: true, ExternalHostsExclusive: true}},
		{"both targets", func(o *Options) { o.Targets = []probes.Target{probes.TargetService, probes.TargetPod} },
			clusters.Capabilities{SCTPReason: "not requested (--sctp)",
				ExternalHostsReason: "this cluster has none (give --external-host NAME=IP for a probe server pods can reach)",
				Targets:             []probes.Target{probes.TargetService, probes.TargetPod}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opts := testOptions()
			tt.opts(&opts)
			b := newTestBackend(t, newFakeCluster(t), &fakeExec{}, opts)
			tt.want.ClusterNetworkPolicyReason, tt.want.AdminNetworkPolicyReason = noPolicyAPI, noPolicyAPI
			if tt.want.Targets == nil {
				tt.want.Targets = []probes.Target{probes.TargetPod}
			}
			if got := b.Capabilities(); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Capabilities() = %+v, want %+v", got, tt.want)
			}
			if b.Name() != "kube" {
				t.Errorf("Name() = %q", b.Name())
			}
		})
	}
}

func TestHostsServingLeavesSCTPToClustersThatCarryIt(t *testing.T) {
	hosts := []scenarios.ExternalHost{
		{Name: "mixed", IP: "198.51.100.10", Ports: []scenarios.Port{{Port: 80, Protocol: scenarios.TCP}, {Port: 80, Protocol: scenarios.SCTP}}},
		{Name: "sctp-only", IP: "198.51.100.11", Ports: []scenarios.Port{{Port: 80, Protocol: scenarios.SCTP}}},
	}
	without := hostsServing(hosts, false)
	if got := fmt.Sprint(without[0].Ports, without[1].Ports); got != "[80/TCP] [65535/TCP]" {
		t.Errorf("without SCTP the hosts serve %s, want [80/TCP] [65535/TCP]", got)
	}
	with := hostsServing(hosts, true)
	if got := fmt.Sprint(with[0].Ports, with[1].Ports); got != "[80/TCP 80/SCTP] [80/SCTP]" {
		t.Errorf("with SCTP the hosts serve %s, want every port", got)
	}
	if len(hosts[0].Ports) != 2 {
		t.Errorf("the scenario's hosts were changed: %v", hosts[0].Ports)
	}
}

// Probing by name, the model's DNS pod gets its Service before any pod, so
// that every pod resolves through it; once all are ready it is given every
// Service's name, again when a pod is added, and jobs by name carry the
// destination Service's name for the probe agent to resolve.
func TestSetupByNameResolvesThroughTheModelDNS(t *testing.T) {
	k := newFakeCluster(t)
	exec := &fakeExec{}
	opts := testOptions()
	opts.Targets = []probes.Target{probes.TargetDNS}
	b := newTestBackend(t, k, exec, opts)
	w := xyWorld()
	w.Namespaces = append(w.Namespaces, scenarios.Namespace{Name: "kube-system", Labels: map[string]string{"kubernetes.io/metadata.name": "kube-system"}})
	w.Pods = append(w.Pods, scenarios.Pod{Namespace: "kube-system", Name: "kube-dns", Labels: map[string]string{"k8s-app": "kube-dns"},
		Ports: []scenarios.Port{{Port: 53, Protocol: scenarios.UDP}}, IP: "10.244.0.12"})
	c, _ := setUp(t, b, w)

	dnsSvc, err := k.client.CoreV1().Services("npc-r1-0-kube-system").Get(context.Background(), "np-kube-dns", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	pod := getPod(t, k, "npc-r1-0-x", "a")
	if pod.Spec.DNSConfig == nil || pod.Spec.DNSConfig.Nameservers[0] != dnsSvc.Spec.ClusterIP {
		t.Fatalf("x/a resolves through %+v; want the DNS pod's ClusterIP %s", pod.Spec.DNSConfig, dnsSvc.Spec.ClusterIP)
	}
	var records []string
	for _, call := range exec.sortedCalls() {
		if call.Jobs == nil && call.Pod == "kube-dns" {
			records = call.Command
		}
	}
	want := "np-a.npc-r1-0-x.svc.cluster.local="
	if len(records) != 4+3 || !strings.HasPrefix(strings.Join(records[4:], " "), want) {
		t.Errorf("records written %q; want a record per Service, x/a's first", records)
	}
	job, skip := c.prepare(probes.Job{From: "y/b", To: "x/a", Host: "10.244.0.10", Port: 80, Protocol: "TCP", Target: probes.TargetDNS, Resolver: "kube-system/kube-dns"})
	if skip != "" || job.Name != "np-a.npc-r1-0-x.svc.cluster.local" || job.Target != "" || job.Resolver != "" {
		t.Errorf("prepared job %+v, skip %q; want the Service's name, nothing else for the agent", job, skip)
	}
}

// TestSetupCreatesSideBySide: with pods created side by side, every pod
// still gets its own address, and the addresses name the right pods.
func TestSetupCreatesSideBySide(t *testing.T) {
	k := newFakeCluster(t)
	opts := testOptions()
	opts.SetupConcurrency = 8
	b := newTestBackend(t, k, &fakeExec{}, opts)
	w := &scenarios.World{}
	for i := range 12 {
		ns := fmt.Sprintf("n%d", i%3)
		if i < 3 {
			w.Namespaces = append(w.Namespaces, scenarios.Namespace{Name: ns})
		}
		w.Pods = append(w.Pods, scenarios.Pod{Namespace: ns, Name: fmt.Sprintf("p%d", i), Labels: map[string]string{"i": fmt.Sprint(i)},
			Ports: []scenarios.Port{{Port: 80, Protocol: scenarios.TCP}}})
	}
	_, addrs := setUp(t, b, w)
	if len(addrs) != 12 {
		t.Fatalf("%d addresses, want 12: %v", len(addrs), addrs)
	}
	seen := map[string]bool{}
	for id, ip := range addrs {
		ns, name, _ := strings.Cut(id, "/")
		pod := getPod(t, k, "npc-r1-0-"+ns, name)
		if pod.Status.PodIP != ip || seen[ip] {
			t.Errorf("%s: address %s, its pod has %s (or another pod has it too)", id, ip, pod.Status.PodIP)
		}
		seen[ip] = true
	}
}

// TestInParallel: at most limit at once, and the first error by index is
// the one returned, whichever failed first.
func TestInParallel(t *testing.T) {
	var mu sync.Mutex
	inFlight, most := 0, 0
	release := make(chan struct{})
	go func() {
		for {
			mu.Lock()
			n := inFlight
			mu.Unlock()
			if n == 3 {
				close(release)
				return
			}
			time.Sleep(time.Millisecond)
		}
	}()
	err := inParallel(context.Background(), 3, 9, func(ctx context.Context, i int) error {
		mu.Lock()
		inFlight++
		most = max(most, inFlight)
		mu.Unlock()
		defer func() { mu.Lock(); inFlight--; mu.Unlock() }()
		<-release
		switch i {
		case 1:
			time.Sleep(20 * time.Millisecond)
			return errors.New("one")
		case 2:
			return errors.New("two")
		}
		return ctx.Err()
	})
	if most != 3 {
		t.Errorf("at most %d at once, want 3", most)
	}
	if got := errText(err); got != "one" {
		t.Errorf("error %q, want the first by index, one", got)
	}
}
