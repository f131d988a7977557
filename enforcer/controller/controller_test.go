package controller

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/netpolcheck/netpolcheck/enforcer/compile"
)

func TestNewRejectsIncompleteOptions(t *testing.T) {
	dp, routes := newRecordingDatapath(), newStaticRoutes(nil)
	tests := []struct {
		name string
		opts Options
		want string
	}{
		{"no node", Options{Datapath: dp, Routes: routes}, "new controller: no node name"},
		{"no datapath", Options{NodeName: testNode, Routes: routes}, "new controller: no datapath"},
		{"no routes", Options{NodeName: testNode, Datapath: dp}, "new controller: no routes"},
		{"negative interval", Options{NodeName: testNode, Datapath: dp, Routes: routes, MinInterval: -1}, "new controller: negative interval"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := New(newClient(), tt.opts)
			if err == nil || err.Error() != tt.want {
				t.Errorf("New error = %v, want %q", err, tt.want)
			}
		})
	}
	if _, err := New(nil, Options{NodeName: testNode, Datapath: dp, Routes: routes}); err == nil || err.Error() != "new controller: no client" {
		t.Errorf("New(nil) error = %v", err)
	}
}

func TestControllerFollowsTheCluster(t *testing.T) {
	ctx := context.Background()
	client := newClient(
		makeNamespace("x"),
		makePod("x", "a", "192.168.0.1"),
		makePod("x", "b", "192.168.0.2"),
		makePod("x", "far", "192.168.9.9", onNode("node-2")),
	)
	dp := newRecordingDatapath()
	routes := newStaticRoutes(map[string]int{"192.168.0.1": 11, "192.168.0.2": 12, "192.168.0.3": 13})
	c := startController(t, client, Options{NodeName: testNode, Datapath: dp, Routes: routes})

	s := syncTo(t, c, client, 1)
	if s.Endpoints != 2 || len(s.Pending) != 0 || s.Err != nil {
		t.Errorf("status after marker 1 = %s", s)
	}
	if got, want := dp.takeLog(), []string{"apply [x/a@11 x/b@12]", "attach 11", "attach 12"}; !slices.Equal(got, want) {
		t.Errorf("datapath saw %q, want %q", got, want)
	}

	// x/b moves to another device in one update: the old device is
	// detached before the tables change, the new one attached after.
	b, _ := client.CoreV1().Pods("x").Get(ctx, "b", metav1.GetOptions{})
	b.Status.PodIP = "192.168.0.3"
	if _, err := client.CoreV1().Pods("x").Update(ctx, b, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	syncTo(t, c, client, 2)
	if got, want := dp.takeLog(), []string{"detach 12", "apply [x/a@11 x/b@13]", "attach 13"}; !slices.Equal(got, want) {
		t.Errorf("datapath saw %q, want %q", got, want)
	}

	// A policy isolates x/a; deleting it lifts the isolation again.
	if _, err := client.NetworkingV1().NetworkPolicies("x").Create(ctx, denyIngress("x", "deny-a", "a"), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	syncTo(t, c, client, 3)
	if got := isolation(dp.lastTables()); !slices.Equal(got, []string{"x/a ingress", "x/b -"}) {
		t.Errorf("isolation with deny-a = %q", got)
	}
	if err := client.NetworkingV1().NetworkPolicies("x").Delete(ctx, "deny-a", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	syncTo(t, c, client, 4)
	if got := isolation(dp.lastTables()); !slices.Equal(got, []string{"x/a -", "x/b -"}) {
		t.Errorf("isolation after deleting deny-a = %q", got)
	}
	for _, tables := range dp.tables {
		for _, ep := range tables.Endpoints {
			if ep.Pod == "x/far" || ep.Pod == SyncNamespace+"/"+SyncObject {
				t.Errorf("generation with endpoint %s, which is not local", ep.Pod)
			}
		}
	}

	m, err := c.Metrics()
	if err != nil {
		t.Fatal(err)
	}
	if m.Generation != uint32(len(dp.tables)) {
		t.Errorf("metrics generation %d, datapath applied %d", m.Generation, len(dp.tables))
	}
	// Every sync succeeded and applied once; the last one left no rules.
	if m.Endpoints != 2 || m.Peers != 0 || m.Ports != 0 || m.Verdicts.IngressDenied != 3 || m.SyncErrors != 0 ||
		m.Syncs != uint64(len(dp.tables)) || m.LastSyncLatency <= 0 || m.MaxSyncLatency < m.LastSyncLatency {
		t.Errorf("metrics = %+v", m)
	}
}

// isolation lists each endpoint with the directions a policy isolates.
func isolation(t *compile.Tables) []string {
	var out []string
	for _, ep := range t.Endpoints {
		dirs := "-"
		switch {
		case ep.Ingress != compile.NotIsolated && ep.Egress != compile.NotIsolated:
			dirs = "ingress egress"
		case ep.Ingress != compile.NotIsolated:
			dirs = "ingress"
		case ep.Egress != compile.NotIsolated:
			dirs = "egress"
		}
		out = append(out, ep.Pod+" "+dirs)
	}
	return out
}

func TestControllerMarkerNeedsEveryKind(t *testing.T) {
	ctx := context.Background()
	client := newClient(makeNamespace("x"), makePod("x", "a", "192.168.0.1"))
	dp := newRecordingDatapath()
	c := startController(t, client, Options{NodeName: testNode, Datapath: dp, Routes: newStaticRoutes(map[string]int{"192.168.0.1": 11})})
	syncTo(t, c, client, 4)

	// Marker 5 on the namespace alone proves nothing about pods and policies.
	ns, _ := client.CoreV1().Namespaces().Get(ctx, SyncNamespace, metav1.GetOptions{})
	ns.Annotations[SyncAnnotation] = "5"
	if _, err := client.CoreV1().Namespaces().Update(ctx, ns, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	// A later pod change is seen once the pod informer catches up.
	a, _ := client.CoreV1().Pods("x").Get(ctx, "a", metav1.GetOptions{})
	a.Labels["seen"] = "yes"
	if _, err := client.CoreV1().Pods("x").Update(ctx, a, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	waitCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if _, err := c.WaitFor(waitCtx, func(Status) bool { return dp.lastTables() != nil && hasLabel(c, "x", "a", "seen") }); err != nil {
		t.Fatal(err)
	}
	// Let a sync run over the new state, then check that marker 5 stayed unclaimed.
	time.Sleep(50 * time.Millisecond)
	if s := c.Status(); s.Marker != 4 {
		t.Errorf("marker with 5 on the namespace only = %d, want 4", s.Marker)
	}
	syncTo(t, c, client, 5)

	// A marker is claimed only once applied: while Apply fails it stays behind,
	// and the retry puts it in force without another event.
	dp.setFailApply(errors.New("map full"))
	if err := WriteSyncMarker(ctx, client, 6); err != nil {
		t.Fatal(err)
	}
	s, err := c.WaitFor(waitCtx, func(s Status) bool { return s.Err != nil })
	if err != nil {
		t.Fatal(err)
	}
	if want := "sync: map full"; s.Marker != 5 || s.Err.Error() != want {
		t.Errorf("status while Apply fails = %s, want marker 5 and error %q", s, want)
	}
	dp.setFailApply(nil)
	s, err = c.WaitFor(waitCtx, func(s Status) bool { return s.Marker == 6 })
	if err != nil || s.Err != nil {
		t.Errorf("after Apply recovered: %s, %v", s, err)
	}
	if m, _ := c.Metrics(); m.SyncErrors == 0 {
		t.Errorf("metrics count no failed sync: %+v", m)
	}
}

// hasLabel tells whether the controller's lister shows the label on the pod.
func hasLabel(c *Controller, namespace, name, key string) bool {
	p, err := c.pods.Pods(namespace).Get(name)
	if err != nil {
		return false
	}
	_, ok := p.Labels[key]
	return ok
}

func TestControllerRetriesUntilRouted(t *testing.T) {
	client := newClient(makeNamespace("x"), makePod("x", "a", "192.168.0.1"), makePod("x", "z", "192.168.0.9"))
	dp := newRecordingDatapath()
	routes := newStaticRoutes(map[string]int{"192.168.0.1": 11})
	c := startController(t, client, Options{NodeName: testNode, Datapath: dp, Routes: routes})

	s := syncTo(t, c, client, 1)
	if want := []string{"x/z: no /32 route to 192.168.0.9 in the node"}; s.Endpoints != 1 || !slices.Equal(s.Pending, want) {
		t.Errorf("status before the route exists = %s, want 1 endpoint and pending %q", s, want)
	}
	// The route appears without any API event: the retry finds it.
	routes.set("192.168.0.9", 19)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	s, err := c.WaitFor(ctx, func(s Status) bool { return s.Endpoints == 2 })
	if err != nil {
		t.Fatalf("x/z never enforced: %s", s)
	}
	if len(s.Pending) != 0 || !slices.Equal(dp.Attached(), []int{11, 19}) {
		t.Errorf("after the route appeared: %s, attached %v", s, dp.Attached())
	}
}

func TestControllerCoalescesEvents(t *testing.T) {
	const (
		updates  = 1000
		interval = 20 * time.Millisecond
	)
	ctx := context.Background()
	client := newClient(makeNamespace("x"), makePod("x", "a", "192.168.0.1"))
	policy := denyIngress("x", "deny-final", "a")
	policy.Spec.PodSelector.MatchLabels = map[string]string{"v": "final"}
	if _, err := client.NetworkingV1().NetworkPolicies("x").Create(ctx, policy, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	dp := newRecordingDatapath()
	c := startController(t, client, Options{NodeName: testNode, Datapath: dp, MinInterval: interval,
		Routes: newStaticRoutes(map[string]int{"192.168.0.1": 11})})
	syncTo(t, c, client, 1)
	before, _ := c.Metrics()

	pods := client.CoreV1().Pods("x")
	a, err := pods.Get(ctx, "a", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	for i := range updates {
		a.Labels["v"] = fmt.Sprint(i)
		if i == updates-1 {
			a.Labels["v"] = "final"
		}
		if _, err := pods.Update(ctx, a, metav1.UpdateOptions{}); err != nil {
			t.Fatal(err)
		}
		if i%50 == 49 {
			// The in-memory clientset panics when more than 100 events wait in
			// one watch; let the informer drain before going on.
			waitEvents(t, c, before.Events+uint64(i+1)-50)
		}
	}
	syncTo(t, c, client, 2)
	elapsed := time.Since(start)
	after, _ := c.Metrics()
	events, syncs := after.Events-before.Events, after.Syncs-before.Syncs
	// The marker's three writes may each start a sync of their own.
	bound := uint64(elapsed/interval) + 4
	t.Logf("%d events in %v, %d syncs (bound %d)", events, elapsed.Round(time.Millisecond), syncs, bound)
	if events < updates || syncs > bound || syncs*5 > events {
		t.Errorf("%d events in %v took %d syncs, want at least %d events, at most %d syncs and a fifth of the events",
			events, elapsed, syncs, updates, bound)
	}
	if got := isolation(dp.lastTables()); !slices.Equal(got, []string{"x/a ingress"}) {
		t.Errorf("isolation after the last label = %q", got)
	}
}

func waitEvents(tb testing.TB, c *Controller, n uint64) {
	tb.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		m, _ := c.Metrics()
		if m.Events >= n {
			return
		}
		if time.Now().After(deadline) {
			tb.Fatalf("informers delivered %d events, want %d", m.Events, n)
		}
		time.Sleep(time.Millisecond)
	}
}

func TestControllerRunsOnce(t *testing.T) {
	client := newClient()
	c := startController(t, client, Options{NodeName: testNode, Datapath: newRecordingDatapath(), Routes: newStaticRoutes(nil)})
	syncTo(t, c, client, 1)
	if err := c.Run(context.Background()); err == nil || err.Error() != "run controller: already running" {
		t.Errorf("second Run = %v", err)
	}
}
