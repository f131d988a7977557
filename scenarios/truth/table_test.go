package truth

import (
	"testing"

	"github.com/netpolcheck/netpolcheck/scenarios"
)

// layoutWorld has one pod with two ports (one without a protocol), one pod
// without ports, and two external hosts.
func layoutWorld() *scenarios.World {
	return &scenarios.World{
		Namespaces: []scenarios.Namespace{{Name: "x", Labels: map[string]string{"kubernetes.io/metadata.name": "x"}}},
		Pods: []scenarios.Pod{
			{Namespace: "x", Name: "a", IP: "192.168.0.2", Ports: []scenarios.Port{{Name: "http", Port: 80, Protocol: tcp}, {Port: 53}}},
			{Namespace: "x", Name: "b", IP: "192.168.0.3"},
		},
		ExternalHosts: []scenarios.ExternalHost{
			{Name: "e1", IP: "203.0.113.1", Ports: []scenarios.Port{{Port: 443, Protocol: tcp}}},
			{Name: "e2", IP: "203.0.113.2", Ports: []scenarios.Port{{Port: 53, Protocol: udp}}},
		},
		Policies: nil,
	}
}

func TestLayout(t *testing.T) {
	table := Compute(layoutWorld())
	var ids, ips []string
	for _, e := range table.Endpoints {
		ids = append(ids, e.ID)
		ips = append(ips, e.IP)
	}
	if want := []string{"x/a", "x/b", "e1", "e2"}; !equalStrings(ids, want) {
		t.Errorf("endpoint IDs = %v, want %v", ids, want)
	}
	if want := []string{"192.168.0.2", "192.168.0.3", "203.0.113.1", "203.0.113.2"}; !equalStrings(ips, want) {
		t.Errorf("endpoint IPs = %v, want %v", ips, want)
	}
	if table.Endpoints[0].Pod == nil || table.Endpoints[0].External != nil || table.Endpoints[2].Pod != nil || table.Endpoints[2].External == nil {
		t.Errorf("pod and external fields are not set as the kind of endpoint says: %+v", table.Endpoints)
	}
	wantTargets := []Target{
		{Endpoint: 0, Port: scenarios.Port{Name: "http", Port: 80, Protocol: tcp}},
		{Endpoint: 0, Port: scenarios.Port{Port: 53, Protocol: tcp}},
		{Endpoint: 2, Port: scenarios.Port{Port: 443, Protocol: tcp}},
		{Endpoint: 3, Port: scenarios.Port{Port: 53, Protocol: udp}},
	}
	if len(table.Targets) != len(wantTargets) {
		t.Fatalf("targets = %+v, want %+v", table.Targets, wantTargets)
	}
	for i, want := range wantTargets {
		if table.Targets[i] != want {
			t.Errorf("target %d = %+v, want %+v", i, table.Targets[i], want)
		}
	}
}

func TestCells(t *testing.T) {
	w := layoutWorld()
	w.Policies = append(w.Policies, makePolicy("x", "only-e1", withIngress(from(peers(ipPeer("203.0.113.1/32"))))))
	type cell = Cell
	want := []cell{
		{Source: 0, Target: 0, Loopback: true}, {Source: 0, Target: 1, Loopback: true}, {Source: 0, Target: 2, Allowed: true}, {Source: 0, Target: 3, Allowed: true},
		{Source: 1, Target: 0}, {Source: 1, Target: 1}, {Source: 1, Target: 2, Allowed: true}, {Source: 1, Target: 3, Allowed: true},
		{Source: 2, Target: 0, Allowed: true}, {Source: 2, Target: 1, Allowed: true},
		{Source: 3, Target: 0}, {Source: 3, Target: 1},
	}
	var got []Cell
	for c := range Compute(w).Cells() {
		got = append(got, c)
	}
	if len(got) != len(want) {
		t.Fatalf("Cells = %+v, want %+v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("cell %d = %+v, want %+v", i, got[i], want[i])
		}
	}
	stopped := 0
	for range Compute(w).Cells() {
		stopped++
		if stopped == 3 {
			break
		}
	}
	if stopped != 3 {
		t.Errorf("Cells kept going after break: %d", stopped)
	}
}

func TestLookupAndAllowed(t *testing.T) {
	w := layoutWorld()
	w.Policies = append(w.Policies, makePolicy("x", "only-e1", withIngress(from(peers(ipPeer("203.0.113.1/32"))))))
	table := Compute(w)
	tests := []struct {
		name              string
		from, to          string
		port              int32
		proto             scenarios.Protocol
		wantAllowed, want bool
	}{
		{"allowed cell", "e1", "x/a", 80, tcp, true, true},
		{"blocked cell", "e2", "x/a", 80, tcp, false, true},
		{"empty protocol means TCP", "e1", "x/a", 53, "", true, true},
		{"pod port without protocol is TCP", "e1", "x/a", 53, tcp, true, true},
		{"to an external host", "x/b", "e2", 53, udp, true, true},
		{"loopback", "x/a", "x/a", 80, tcp, false, true},
		{"external to external", "e1", "e2", 53, udp, false, false},
		{"unserved port", "e1", "x/a", 81, tcp, false, false},
		{"unserved protocol", "e1", "x/a", 80, udp, false, false},
		{"pod without ports", "x/a", "x/b", 80, tcp, false, false},
		{"unknown source", "x/z", "x/a", 80, tcp, false, false},
		{"unknown destination", "x/a", "x/z", 80, tcp, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			allowed, ok := table.Lookup(tt.from, tt.to, tt.port, tt.proto)
			if allowed != tt.wantAllowed || ok != tt.want {
				t.Errorf("Lookup = (%v, %v), want (%v, %v)", allowed, ok, tt.wantAllowed, tt.want)
			}
		})
	}
	for _, idx := range [][2]int{{-1, 0}, {0, -1}, {4, 0}, {0, 4}, {2, 3}} {
		if table.Allowed(idx[0], idx[1]) {
			t.Errorf("Allowed(%d, %d) = true, want false", idx[0], idx[1])
		}
	}
	if !table.Allowed(2, 0) || table.Allowed(3, 0) {
		t.Errorf("Allowed(2, 0), Allowed(3, 0) = %v, %v, want true, false", table.Allowed(2, 0), table.Allowed(3, 0))
	}
}

func TestComputeEmptyWorld(t *testing.T) {
	table := Compute(&scenarios.World{})
	n := 0
	for range table.Cells() {
		n++
	}
	if len(table.Endpoints) != 0 || len(table.Targets) != 0 || n != 0 {
		t.Errorf("empty world: %d endpoints, %d targets, %d cells, want none", len(table.Endpoints), len(table.Targets), n)
	}
}

func equalStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
