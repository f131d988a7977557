package memclient

import (
	"context"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/watch"
)

func TestClientsetStoresAndWatches(t *testing.T) {
	ctx := context.Background()
	seed := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "x", Labels: map[string]string{"a": "1"}}}
	c, err := New(seed)
	if err != nil {
		t.Fatal(err)
	}
	got, err := c.CoreV1().Namespaces().Get(ctx, "x", metav1.GetOptions{})
	if err != nil || got.Labels["a"] != "1" {
		t.Fatalf("Get seeded namespace = %v, %v", got, err)
	}

	short, cancel := context.WithTimeout(ctx, 20*time.Millisecond)
	defer cancel()
	if err := c.WaitWatching(short, "pods", "namespaces"); err == nil ||
		err.Error() != "wait for watches of [namespaces pods]: context deadline exceeded" {
		t.Errorf("WaitWatching with no watch = %v", err)
	}

	w, err := c.CoreV1().Pods("").Watch(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Stop()
	if err := c.WaitWatching(ctx, "pods"); err != nil {
		t.Errorf("WaitWatching(pods) after a pod watch: %v", err)
	}
	pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: "x", Name: "a"}}
	if _, err := c.CoreV1().Pods("x").Create(ctx, pod, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	select {
	case ev := <-w.ResultChan():
		if p, ok := ev.Object.(*corev1.Pod); ev.Type != watch.Added || !ok || p.Name != "a" {
			t.Errorf("watch event = %v %v", ev.Type, ev.Object)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no watch event for the created pod")
	}

	if _, err := New(seed, seed); err == nil {
		t.Error("New with the same object twice succeeded")
	}
}
