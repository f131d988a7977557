package controller

import (
	"maps"
	"net/netip"
	"slices"
	"testing"

	corev1 "k8s.io/api/core/v1"
)

func TestLocalEndpoints(t *testing.T) {
	routes := map[netip.Addr]int{
		netip.MustParseAddr("192.168.0.1"): 11,
		netip.MustParseAddr("192.168.0.2"): 12,
		netip.MustParseAddr("192.168.0.3"): 13,
	}
	tests := []struct {
		name         string
		pods         []*corev1.Pod
		wantLocal    map[string]int
		wantPending  []string
		wantUnrouted bool
	}{
		{
			name:      "routed pods of this node",
			pods:      []*corev1.Pod{makePod("x", "a", "192.168.0.1"), makePod("y", "b", "192.168.0.2")},
			wantLocal: map[string]int{"x/a": 11, "y/b": 12},
		},
		{
			name:      "pods of other nodes are peers only",
			pods:      []*corev1.Pod{makePod("x", "a", "192.168.0.1", onNode("node-2")), makePod("x", "b", "192.168.0.2", onNode(""))},
			wantLocal: map[string]int{},
		},
		{
			name: "host network and finished pods are left out",
			pods: []*corev1.Pod{
				makePod("x", "h", "192.168.0.1", withHostNetwork()),
				makePod("x", "s", "192.168.0.2", withPhase(corev1.PodSucceeded)),
				makePod("x", "f", "192.168.0.3", withPhase(corev1.PodFailed)),
			},
			wantLocal: map[string]int{},
		},
		{
			name:         "a pod without a route waits for its device",
			pods:         []*corev1.Pod{makePod("x", "a", "192.168.0.1"), makePod("x", "z", "192.168.0.9")},
			wantLocal:    map[string]int{"x/a": 11},
			wantPending:  []string{"x/z: no /32 route to 192.168.0.9 in the node"},
			wantUnrouted: true,
		},
		{
			name:        "a pod without an address waits for its update",
			pods:        []*corev1.Pod{makePod("x", "b", ""), makePod("x", "a", "fd00::1", withPodIPs("fd00::1"))},
			wantLocal:   map[string]int{},
			wantPending: []string{"x/a: no IPv4 address yet", "x/b: no IPv4 address yet"},
		},
		{
			name:      "the IPv4 address of a dual-stack pod is found in podIPs",
			pods:      []*corev1.Pod{makePod("x", "a", "", withPodIPs("fd00::3", "192.168.0.3"))},
			wantLocal: map[string]int{"x/a": 13},
		},
		{
			name:      "an IPv4-mapped IPv6 address counts as IPv4",
			pods:      []*corev1.Pod{makePod("x", "a", "::ffff:192.168.0.2")},
			wantLocal: map[string]int{"x/a": 12},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			local, pending, unrouted := localEndpoints(tt.pods, testNode, routes)
			if !maps.Equal(local, tt.wantLocal) {
				t.Errorf("local = %v, want %v", local, tt.wantLocal)
			}
			if !slices.Equal(pending, tt.wantPending) {
				t.Errorf("pending = %q, want %q", pending, tt.wantPending)
			}
			if unrouted != tt.wantUnrouted {
				t.Errorf("unrouted = %v, want %v", unrouted, tt.wantUnrouted)
			}
		})
	}
}

func TestJoinPending(t *testing.T) {
	tests := []struct {
		a, b, want []string
	}{
		{nil, nil, []string{}},
		{[]string{"x/b: r"}, []string{"x/a: s"}, []string{"x/a: s", "x/b: r"}},
		{[]string{"x/a: s"}, []string{"x/a: s"}, []string{"x/a: s"}},
	}
	for _, tt := range tests {
		if got := joinPending(tt.a, tt.b); !slices.Equal(got, tt.want) {
			t.Errorf("joinPending(%q, %q) = %q, want %q", tt.a, tt.b, got, tt.want)
		}
	}
}
