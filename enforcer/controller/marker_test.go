package controller

import (
	"context"
	"errors"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func TestMarkerOf(t *testing.T) {
	tests := []struct {
		annotations map[string]string
		want        uint64
	}{
		{nil, 0},
		{map[string]string{"other": "7"}, 0},
		{map[string]string{SyncAnnotation: "7"}, 7},
		{map[string]string{SyncAnnotation: "18446744073709551615"}, 1<<64 - 1},
		{map[string]string{SyncAnnotation: "-1"}, 0},
		{map[string]string{SyncAnnotation: "seven"}, 0},
	}
	for _, tt := range tests {
		if got := markerOf(tt.annotations); got != tt.want {
			t.Errorf("markerOf(%v) = %d, want %d", tt.annotations, got, tt.want)
		}
	}
}

func TestIsSentinel(t *testing.T) {
	tests := []struct {
		namespace, name string
		want            bool
	}{
		{"", SyncNamespace, true},
		{SyncNamespace, SyncObject, true},
		{"", "x", false},
		{SyncNamespace, "other", false},
		{"x", SyncObject, false},
	}
	for _, tt := range tests {
		if got := isSentinel(tt.namespace, tt.name); got != tt.want {
			t.Errorf("isSentinel(%q, %q) = %v, want %v", tt.namespace, tt.name, got, tt.want)
		}
	}
}

func TestWriteSyncMarker(t *testing.T) {
	ctx := context.Background()
	client := newClient()
	for _, n := range []uint64{1, 2, 40} {
		if err := WriteSyncMarker(ctx, client, n); err != nil {
			t.Fatalf("WriteSyncMarker(%d): %v", n, err)
		}
		ns, err := client.CoreV1().Namespaces().Get(ctx, SyncNamespace, metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		pod, err := client.CoreV1().Pods(SyncNamespace).Get(ctx, SyncObject, metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		policy, err := client.NetworkingV1().NetworkPolicies(SyncNamespace).Get(ctx, SyncObject, metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		for kind, annotations := range map[string]map[string]string{"namespace": ns.Annotations, "pod": pod.Annotations, "policy": policy.Annotations} {
			if got := markerOf(annotations); got != n {
				t.Errorf("after marker %d the %s carries %d", n, kind, got)
			}
		}
		if len(pod.Spec.SchedulingGates) != 1 || pod.Spec.NodeName != "" || pod.Status.PodIP != "" {
			t.Errorf("sentinel pod could run or be a peer: gates %v, node %q, IP %q", pod.Spec.SchedulingGates, pod.Spec.NodeName, pod.Status.PodIP)
		}
	}

	// Annotations someone else put on a sentinel survive the next marker.
	ns, _ := client.CoreV1().Namespaces().Get(ctx, SyncNamespace, metav1.GetOptions{})
	ns.Annotations["keep"] = "me"
	if _, err := client.CoreV1().Namespaces().Update(ctx, ns, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := WriteSyncMarker(ctx, client, 41); err != nil {
		t.Fatal(err)
	}
	ns, _ = client.CoreV1().Namespaces().Get(ctx, SyncNamespace, metav1.GetOptions{})
	if ns.Annotations["keep"] != "me" || markerOf(ns.Annotations) != 41 {
		t.Errorf("namespace annotations = %v, want keep=me and marker 41", ns.Annotations)
	}
}

func TestStatusString(t *testing.T) {
	tests := []struct {
		s    Status
		want string
	}{
		{Status{}, "marker 0 in force at generation 0, 0 endpoints"},
		{Status{Phase: PhaseStarting}, "marker 0 in force at generation 0, 0 endpoints, controller waiting for the informers' caches"},
		{Status{Marker: 3, Generation: 7, Endpoints: 2, Phase: PhaseIdle, Pending: []string{"x/a: no route"}, Err: errors.New("attach: busy")},
			"marker 3 in force at generation 7, 2 endpoints, controller idle, pending: x/a: no route, last sync failed: attach: busy"},
	}
	for _, tt := range tests {
		if got := tt.s.String(); got != tt.want {
			t.Errorf("String() = %q, want %q", got, tt.want)
		}
	}
}
