package kube

import (
	"context"
	"slices"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	k8stesting "k8s.io/client-go/testing"
)

func TestTeardownDeletesOwnedNamespacesAndCloseWaits(t *testing.T) {
	k := newFakeCluster(t)
	var preconditions []string
	k.client.PrependReactor("delete", "namespaces", func(a k8stesting.Action) (bool, runtime.Object, error) {
		d := a.(k8stesting.DeleteActionImpl)
		if p := d.DeleteOptions.Preconditions; p != nil && p.UID != nil {
			preconditions = append(preconditions, d.Name+"="+string(*p.UID))
		}
		return false, nil, nil
	})
	b := newTestBackend(t, k, &fakeExec{}, testOptions())
	c, _ := setUp(t, b, xyWorld())
	if err := c.Teardown(context.Background()); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"npc-r1-0-x", "npc-r1-0-y"} {
		if _, err := k.client.CoreV1().Namespaces().Get(context.Background(), name, metav1.GetOptions{}); !apierrors.IsNotFound(err) {
			t.Errorf("namespace %s after teardown: %v", name, err)
		}
	}
	slices.Sort(preconditions)
	if want := []string{"npc-r1-0-x=uid-npc-r1-0-x", "npc-r1-0-y=uid-npc-r1-0-y"}; !slices.Equal(preconditions, want) {
		t.Errorf("deletes carried preconditions %v, want each namespace's UID", preconditions)
	}
	if err := c.Teardown(context.Background()); err != nil {
		t.Errorf("second Teardown: %v", err)
	}
	if _, err := c.Setup(context.Background(), xyWorld()); errText(err) != "cluster of test-scenario is torn down" {
		t.Errorf("Setup after Teardown: %v", err)
	}
	if len(b.owned) != 0 {
		t.Errorf("backend still renews %d namespaces being deleted", len(b.owned))
	}
	if err := b.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	if b.clusters.Len() != 0 {
		t.Errorf("backend still tracks %d clusters after Close saw their namespaces gone", b.clusters.Len())
	}
}

func TestTeardownLeavesNamespacesItDoesNotOwn(t *testing.T) {
	k := newFakeCluster(t)
	b := newTestBackend(t, k, &fakeExec{}, testOptions())
	c, _ := setUp(t, b, xyWorld())
	ctx := context.Background()
	// Someone replaced y by a namespace of their own under the same name.
	if err := k.client.CoreV1().Namespaces().Delete(ctx, "npc-r1-0-y", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	theirs := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "npc-r1-0-y", Labels: map[string]string{RunLabel: "r1"}}}
	if _, err := k.client.CoreV1().Namespaces().Create(ctx, theirs, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	k.client.PrependReactor("get", "namespaces", func(a k8stesting.Action) (bool, runtime.Object, error) {
		if a.(k8stesting.GetAction).GetName() != "npc-r1-0-y" {
			return false, nil, nil
		}
		ns := theirs.DeepCopy()
		ns.UID = "their-uid"
		return true, ns, nil
	})
	err := c.Teardown(ctx)
	want := "tear down test-scenario: delete namespace npc-r1-0-y: namespace npc-r1-0-y has UID their-uid, not the uid-npc-r1-0-y this run created; it is left alone"
	if got := errText(err); got != want {
		t.Errorf("Teardown error\n%s\nwant\n%s", got, want)
	}
}

func TestTeardownTimeoutNamesTerminatingNamespaces(t *testing.T) {
	k := newFakeCluster(t)
	// Deletion is accepted but the namespace never goes, as with a stuck finalizer.
	k.client.PrependReactor("delete", "namespaces", func(a k8stesting.Action) (bool, runtime.Object, error) {
		return true, nil, nil
	})
	opts := testOptions()
	opts.DeleteTimeout = 600 * time.Millisecond
	b := newTestBackend(t, k, &fakeExec{}, opts)
	c, _ := setUp(t, b, xyWorld())
	began := time.Now()
	if err := c.Teardown(context.Background()); err != nil {
		t.Fatal(err)
	}
	if waited := time.Since(began); waited > opts.DeleteTimeout/2 {
		t.Errorf("Teardown took %s: it waited for the namespaces", waited)
	}
	deletes := 0
	for _, a := range k.client.Actions() {
		if a.GetVerb() == "delete" && a.GetResource().Resource == "namespaces" {
			deletes++
		}
	}
	err := b.Close(context.Background())
	want := "close kube backend r1: tear down test-scenario: namespaces still terminating after 600ms: npc-r1-0-x, npc-r1-0-y"
	if got := errText(err); got != want {
		t.Errorf("Close error %q, want %q", got, want)
	}
	for _, a := range k.client.Actions() {
		if a.GetVerb() == "delete" && a.GetResource().Resource == "namespaces" {
			deletes--
		}
	}
	if deletes != 0 {
		t.Errorf("Close deleted the terminating namespaces %d more times; they were deleted already", -deletes)
	}
}
