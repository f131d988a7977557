package reference

import (
	"slices"
	"testing"

	"github.com/netpolcheck/netpolcheck/probes"
	"github.com/netpolcheck/netpolcheck/scenarios"
)

func TestEnforcerDrops(t *testing.T) {
	e := &Enforcer{drops: newDropLog(16), pods: map[string]podAddress{}}
	e.track(scenarios.Change{Kind: scenarios.AddPod, Pod: &scenarios.Pod{Namespace: "x", Name: "a", IP: podA.String()}})
	e.track(scenarios.Change{Kind: scenarios.AddPod, Pod: &scenarios.Pod{Namespace: "x", Name: "b", IP: podB.String()}})
	e.drops.add(drop(podA, podB, 1, 80, 17)) // an earlier step's
	e.stepStart = e.drops.mark()
	e.drops.add(drop(podA, podB, 2, 80, 6))
	e.drops.add(drop(podA, podB, 3, 80, 17))
	e.drops.add(drop(ext, podB, 4, 80, 6))

	const (
		fromA = "Ingress denied 192.168.0.1:2 -> 192.168.0.2:80/TCP at x/b (no-peer, generation 2)"
		udpA  = "Ingress denied 192.168.0.1:3 -> 192.168.0.2:80/UDP at x/b (no-peer, generation 2)"
		fromX = "Ingress denied 203.0.113.10:4 -> 192.168.0.2:80/TCP at x/b (no-peer, generation 2)"
	)
	tests := []struct {
		name string
		job  probes.Job
		want []string
	}{
		{"a pod's TCP probe", probes.Job{From: "x/a", Host: "192.168.0.2", Port: 80, Protocol: "TCP"}, []string{fromA}},
		{"a pod's UDP probe, this step only", probes.Job{From: "x/a", Host: "192.168.0.2", Port: 80, Protocol: "UDP"}, []string{udpA}},
		{"an external host's probe", probes.Job{From: "ext-1", Host: "192.168.0.2", Port: 80, Protocol: "TCP"}, []string{fromX}},
		{"another port", probes.Job{From: "x/a", Host: "192.168.0.2", Port: 81, Protocol: "TCP"}, nil},
		{"an address that is not one", probes.Job{From: "x/a", Host: "b", Port: 80, Protocol: "TCP"}, nil},
		{"a port out of range", probes.Job{From: "x/a", Host: "192.168.0.2", Port: 65616, Protocol: "TCP"}, nil},
		{"an unknown protocol", probes.Job{From: "x/a", Host: "192.168.0.2", Port: 80, Protocol: "ICMP"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := e.Drops(tt.job); !slices.Equal(got, tt.want) {
				t.Errorf("Drops = %q, want %q", got, tt.want)
			}
		})
	}

	// Once x/a is gone its address is no pod's, so it counts as external.
	e.track(scenarios.Change{Kind: scenarios.RemoveNamespace, Namespace: &scenarios.Namespace{Name: "x"}})
	got := e.Drops(probes.Job{From: "ext-1", Host: "192.168.0.2", Port: 80, Protocol: "TCP"})
	if want := []string{fromA, fromX}; !slices.Equal(got, want) {
		t.Errorf("Drops after removing x = %q, want %q", got, want)
	}
}

func TestOptionsDefaults(t *testing.T) {
	got, err := Options{}.withDefaults()
	if err != nil || got.SyncTimeout != DefaultSyncTimeout || got.DropLog != DefaultDropLog {
		t.Errorf("defaults = %+v, %v", got, err)
	}
	if _, err := (Options{DropLog: -1}).withDefaults(); err == nil || err.Error() != "negative sync timeout or drop log size" {
		t.Errorf("negative drop log: %v", err)
	}
}
