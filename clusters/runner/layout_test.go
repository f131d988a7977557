package runner

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/netpolcheck/netpolcheck/reports"
	"github.com/netpolcheck/netpolcheck/scenarios"
)

func tcp(port int32, name string) scenarios.Port {
	return scenarios.Port{Name: name, Port: port, Protocol: scenarios.TCP}
}

// Models that differ only in their ports share one cluster serving them
// all, unless a port would change its name: a policy naming it would then
// mean another thing on the shared cluster than in the scenario's model.
func TestRunSharesAClusterServingTheUnionOfPorts(t *testing.T) {
	b := &recordingBackend{}
	scns := []*scenarios.Scenario{
		twoPods(t, "allow", tcp(80, "http")),
		twoPods(t, "allow", tcp(81, "")),
		twoPods(t, "allow", tcp(80, "web")),  // 80 named otherwise: a second cluster
		twoPods(t, "allow", tcp(82, "http")), // http names 80 on the first: the second
		twoPods(t, "allow", tcp(80, "http"), scenarios.Port{Port: 82, Protocol: scenarios.UDP}),
	}
	res := Run(context.Background(), scns, Options{Backend: b, Parallel: 1})
	for _, s := range res.Scenarios {
		if s.Status != reports.Pass {
			t.Errorf("%s: %s (%s), want pass", s.Name, s.Status, s.Error)
		}
	}
	wantServed := []string{
		"c1 x/a http:80/TCP,:81/TCP,:82/UDP", "c1 x/b http:80/TCP,:81/TCP,:82/UDP",
		"c2 x/a web:80/TCP,http:82/TCP", "c2 x/b web:80/TCP,http:82/TCP",
	}
	if strings.Join(b.served, "\n") != strings.Join(wantServed, "\n") {
		t.Errorf("served:\n%s\nwant:\n%s", strings.Join(b.served, "\n"), strings.Join(wantServed, "\n"))
	}
	// Each scenario probes its own ports only, on whichever cluster it ran.
	var probed []string
	for _, p := range b.probed {
		if !slices.Contains(probed, p) {
			probed = append(probed, p)
		}
	}
	wantProbed := []string{"c1 80/TCP", "c1 81/TCP", "c2 80/TCP", "c2 82/TCP", "c1 82/UDP"}
	if strings.Join(probed, " ") != strings.Join(wantProbed, " ") {
		t.Errorf("probed %v, want %v", probed, wantProbed)
	}
}

func TestPortsAgree(t *testing.T) {
	tests := []struct {
		a, b []scenarios.Port
		want bool
	}{
		{nil, []scenarios.Port{tcp(80, "http")}, true},
		{[]scenarios.Port{tcp(80, "http")}, []scenarios.Port{tcp(80, "http"), tcp(81, "")}, true},
		{[]scenarios.Port{tcp(80, "http")}, []scenarios.Port{tcp(80, "")}, false},
		{[]scenarios.Port{tcp(80, "")}, []scenarios.Port{tcp(80, "http")}, false},
		{[]scenarios.Port{tcp(80, "http")}, []scenarios.Port{tcp(81, "http")}, false},
		{[]scenarios.Port{tcp(80, "")}, []scenarios.Port{tcp(81, "")}, true},
		{[]scenarios.Port{tcp(80, "p")}, []scenarios.Port{{Name: "p", Port: 80, Protocol: scenarios.UDP}}, false},
	}
	for _, tt := range tests {
		if got := portsAgree(tt.a, tt.b); got != tt.want {
			t.Errorf("portsAgree(%v, %v) = %v, want %v", tt.a, tt.b, got, tt.want)
		}
	}
}

func TestSharedModelAdmits(t *testing.T) {
	world := func(pods ...scenarios.Pod) *scenarios.World { return &scenarios.World{Pods: pods} }
	pod := func(id string, ports ...scenarios.Port) scenarios.Pod {
		ns, name, _ := strings.Cut(id, "/")
		return scenarios.Pod{Namespace: ns, Name: name, Ports: ports}
	}
	m := &sharedModel{podAt: map[string]int{}}
	m.add(world(pod("x/a", tcp(80, "http")), pod("x/b", tcp(80, "http"))))
	// Callers group by layout first (layoutKey): only ports differ here.
	tests := []struct {
		name string
		w    *scenarios.World
		want bool
	}{
		{"another port", world(pod("x/a", tcp(81, "")), pod("x/b")), true},
		{"a port named otherwise", world(pod("x/a", tcp(80, "web")), pod("x/b")), false},
		{"a name given to another port", world(pod("x/a"), pod("x/b", tcp(8080, "http"))), false},
	}
	for _, tt := range tests {
		if got := m.admits(tt.w); got != tt.want {
			t.Errorf("%s: admits = %v, want %v", tt.name, got, tt.want)
		}
	}
}

// Where the backend shares an address between clusters, scenarios that
// differ only in external hosts share one model holding all of them; where
// it gives an address to one cluster at a time, hosts keep layouts apart.
func TestPlanModelsSharesHostsOnlyWhereTheBackendDoes(t *testing.T) {
	host := func(name, ip string) scenarios.ExternalHost {
		return scenarios.ExternalHost{Name: name, IP: ip, Ports: []scenarios.Port{tcp(80, "")}}
	}
	withHosts := func(hosts ...scenarios.ExternalHost) *scenarios.Scenario {
		s := twoPods(t, "allow")
		s.Model.ExternalHosts = hosts
		return s
	}
	scns := []*scenarios.Scenario{
		withHosts(),
		withHosts(host("outside", "198.51.100.10")),
		withHosts(host("other", "203.0.113.5")),
		withHosts(host("elsewhere", "198.51.100.10")), // the address has another name: apart
	}
	all := func(*scenarios.Scenario, *scenarios.World) bool { return true }
	hostsOf := func(p modelPlan) string {
		var names []string
		for _, h := range p.served.hosts {
			names = append(names, h.Name)
		}
		return strings.Join(names, ",")
	}
	shared := planModels(scns, all, false)
	if shared[0].key != shared[1].key || shared[1].key != shared[2].key || shared[3].key == shared[0].key {
		t.Errorf("shared hosts: keys %q, want the first three alike and the last apart", []string{shared[0].key, shared[1].key, shared[2].key, shared[3].key})
	}
	if got := hostsOf(shared[0]); got != "outside,other" {
		t.Errorf("shared hosts: the model holds %q, want outside,other", got)
	}
	apart := planModels(scns, all, true)
	for i := 1; i < len(apart); i++ {
		for j := range i {
			if apart[i].key == apart[j].key {
				t.Errorf("exclusive hosts: scenarios %d and %d share %q", j, i, apart[i].key)
			}
		}
	}
}
