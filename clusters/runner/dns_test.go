package runner

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/netpolcheck/netpolcheck/clusters"
	"github.com/netpolcheck/netpolcheck/probes"
	"github.com/netpolcheck/netpolcheck/reports"
	"github.com/netpolcheck/netpolcheck/scenarios"
	"github.com/netpolcheck/netpolcheck/scenarios/library"
)

func TestByName(t *testing.T) {
	a, b, u := reports.OutcomeAllowed, reports.OutcomeBlocked, reports.OutcomeUndefined
	tests := []struct{ resolve, connect, want reports.Outcome }{
		{a, a, a}, {a, b, b}, {b, a, b}, {b, b, b},
		{u, a, u}, {a, u, u}, {u, b, b}, {b, u, b},
	}
	for _, tt := range tests {
		if got := byName(tt.resolve, tt.connect); got != tt.want {
			t.Errorf("byName(resolve %s, connect %s) = %s, want %s", tt.resolve, tt.connect, got, tt.want)
		}
	}
}

func builtin(t *testing.T, name string) *scenarios.Scenario {
	t.Helper()
	all, err := library.Builtin()
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range all {
		if s.Name == name {
			return s
		}
	}
	t.Fatalf("no built-in scenario %s", name)
	return nil
}

// Probing by name, with a cluster that enforces nothing: every cell the
// oracle blocks fails, and the backend's cells fail even toward the
// database, which its policy allows, because its names do not resolve;
// every job names the model's kube-dns as its resolver, and the DNS pod's
// own cells are skipped.
func TestRunByNameComposesResolutionAndConnection(t *testing.T) {
	fc := &fakeCluster{answer: func(probes.Job, int) probes.Outcome { return probes.Allowed }}
	caps := clusters.Capabilities{ExternalHosts: true, Targets: []probes.Target{probes.TargetDNS}}
	res := Run(context.Background(), []*scenarios.Scenario{builtin(t, "pitfall-egress-breaks-dns")},
		Options{Backend: &fakeBackend{cluster: fc, caps: caps}, Converge: 200 * time.Millisecond})
	step := res.Scenarios[0].Steps[0]
	var sawDatabase bool
	for _, c := range step.Cells {
		switch {
		case c.From == "kube-system/kube-dns":
			if c.Verdict != reports.Skipped || c.Detail != resolverSelf {
				t.Errorf("%s -> %s: %s (%s); want skipped: %s", c.From, c.To, c.Verdict, c.Detail, resolverSelf)
			}
		case c.From == "default/backend" && !c.Loopback:
			if c.Expected != reports.OutcomeBlocked || c.Verdict != reports.Fail {
				t.Errorf("%s -> %s %d: expected %s, verdict %s; want blocked, fail", c.From, c.To, c.Port, c.Expected, c.Verdict)
			}
			if c.To == "default/database" && c.Port == 5432 {
				sawDatabase = true
				if !strings.HasPrefix(c.Explanation, "resolving the name (kube-system/kube-dns 53/UDP): blocked") {
					t.Errorf("explanation %q; want the blocked query first", c.Explanation)
				}
			}
		case c.From == "default/database":
			if c.Expected != reports.OutcomeAllowed || c.Verdict != reports.Pass {
				t.Errorf("%s -> %s %d: expected %s, verdict %s; want allowed, pass", c.From, c.To, c.Port, c.Expected, c.Verdict)
			}
		}
	}
	if !sawDatabase {
		t.Error("no backend -> database 5432/TCP cell")
	}
	for _, round := range fc.jobs {
		for _, j := range round {
			if j.Target != probes.TargetDNS || j.Resolver != "kube-system/kube-dns" {
				t.Fatalf("job %+v; want by name through kube-system/kube-dns", j)
			}
		}
	}
}

func TestRunByNameWithoutClusterDNSSkips(t *testing.T) {
	fc := &fakeCluster{answer: truthful}
	caps := clusters.Capabilities{ExternalHosts: true, Targets: []probes.Target{probes.TargetPod, probes.TargetDNS}}
	res := Run(context.Background(), []*scenarios.Scenario{twoPods(t, "allow")},
		Options{Backend: &fakeBackend{cluster: fc, caps: caps}})
	step := res.Scenarios[0].Steps[0]
	if step.Status != reports.Pass {
		t.Fatalf("status %s (%s); want pass", step.Status, step.Error)
	}
	for _, c := range step.Cells {
		if c.Target == reports.TargetDNS && (c.Verdict != reports.Skipped || c.Detail != noClusterDNS) {
			t.Errorf("%s -> %s by name: %s (%s); want skipped: %s", c.From, c.To, c.Verdict, c.Detail, noClusterDNS)
		}
	}
	if len(step.Skipped) != 1 || step.Skipped[0] != noClusterDNS {
		t.Errorf("skip reasons %q; want the missing cluster DNS once", step.Skipped)
	}
}
