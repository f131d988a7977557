package kube

import (
	"context"
	"reflect"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
)

func TestCleanTouchesOnlyLabelledNamespaces(t *testing.T) {
	now := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	ns := func(name string, labels map[string]string, expires string) *corev1.Namespace {
		n := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: labels}}
		if expires != "" {
			n.Annotations = map[string]string{ExpiresAnnotation: expires}
		}
		return n
	}
	run := func(id string) map[string]string { return map[string]string{RunLabel: id} }
	past, future := now.Add(-time.Minute).Format(time.RFC3339), now.Add(time.Minute).Format(time.RFC3339)
	objects := []runtime.Object{
		ns("npc-dead01-0-x", run("dead01"), past),
		ns("npc-dead01-0-y", run("dead01"), "not a time"),
		ns("npc-dead02-3-z", run("dead02"), ""),
		ns("npc-live01-0-x", run("live01"), future),
		// No label: never touched, whatever the name or annotation says.
		ns("npc-nolabel-0-x", nil, past),
		ns("kube-system", nil, ""),
		// A label but a name that is not ours: left alone too.
		ns("production", run("dead01"), past),
		ns("npc-other-0-x", run("dead01"), past),
	}
	tests := []struct {
		all  bool
		want []string
	}{
		{false, []string{"npc-dead01-0-x", "npc-dead01-0-y", "npc-dead02-3-z"}},
		{true, []string{"npc-dead01-0-x", "npc-dead01-0-y", "npc-dead02-3-z", "npc-live01-0-x"}},
	}
	for _, tt := range tests {
		k := newFakeCluster(t, objects...)
		removed, err := clean(context.Background(), k.client, nil, tt.all, now)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(removed, tt.want) {
			t.Errorf("clean(all=%v) removed %v, want %v", tt.all, removed, tt.want)
		}
		left, _ := k.client.CoreV1().Namespaces().List(context.Background(), metav1.ListOptions{})
		var names []string
		for _, n := range left.Items {
			names = append(names, n.Name)
		}
		if len(names)+len(tt.want) != len(objects) {
			t.Errorf("clean(all=%v) left %v", tt.all, names)
		}
	}
}

func TestHeartbeatRenewsExpiry(t *testing.T) {
	k := newFakeCluster(t)
	opts := testOptions()
	opts.Heartbeat = 20 * time.Millisecond
	b := newTestBackend(t, k, &fakeExec{}, opts)
	clock := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	b.mu.Lock()
	b.now = func() time.Time { return clock }
	b.mu.Unlock()
	setUp(t, b, xyWorld())
	want := clock.Add(60 * time.Millisecond).Format(time.RFC3339)
	if got := getNamespace(t, k, "npc-r1-0-x").Annotations[ExpiresAnnotation]; got != want {
		t.Errorf("expiry at creation %q, want %q", got, want)
	}
	b.mu.Lock()
	b.now = func() time.Time { return clock.Add(time.Hour) }
	b.mu.Unlock()
	want = clock.Add(time.Hour + 60*time.Millisecond).Format(time.RFC3339)
	deadline := time.Now().Add(5 * time.Second)
	for getNamespace(t, k, "npc-r1-0-y").Annotations[ExpiresAnnotation] != want {
		if time.Now().After(deadline) {
			t.Fatalf("expiry not renewed to %s within 5s", want)
		}
		time.Sleep(10 * time.Millisecond)
	}
	// A live run's namespaces survive Clean at the time of the last renewal.
	removed, err := clean(context.Background(), k.client, nil, false, clock.Add(time.Hour))
	if err != nil || len(removed) != 0 {
		t.Errorf("clean removed %v (%v) from a live run", removed, err)
	}
}
