package behaviour

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/netpolcheck/netpolcheck/clusters"
	"github.com/netpolcheck/netpolcheck/probes"
	"github.com/netpolcheck/netpolcheck/reports"
	"github.com/netpolcheck/netpolcheck/scenarios"
)

// fakeEnforcer is what the fake cluster's traffic obeys.
type fakeEnforcer struct {
	enforces   bool // denies take effect for new connections
	cutsOld    bool // and for established ones
	failsOpen  bool // while restarting, everything is allowed
	noRestarts bool // the cluster cannot restart its enforcer
	blocksHost bool // isolation holds against the host network too
	slowStart  int  // connections refused before the first one gets through
}

type fakeBackend struct {
	enf     fakeEnforcer
	targets []probes.Target
	held    []probes.Job // the jobs Hold was given
}

func (b *fakeBackend) Name() string { return "fake" }
func (b *fakeBackend) Capabilities() clusters.Capabilities {
	return clusters.Capabilities{Targets: b.targets}
}
func (b *fakeBackend) Close(context.Context) error { return nil }
func (b *fakeBackend) NewCluster(context.Context, string) (clusters.Cluster, error) {
	c := &fakeCluster{enf: b.enf, denied: map[string]bool{}, backend: b}
	if b.enf.noRestarts {
		return struct {
			clusters.Cluster
			clusters.Holder
		}{c, c}, nil
	}
	return c, nil
}

type fakeCluster struct {
	enf        fakeEnforcer
	mu         sync.Mutex
	denied     map[string]bool // "b ingress", "c egress"
	restarting bool
	torn       bool
	backend    *fakeBackend
}

func (c *fakeCluster) Setup(_ context.Context, w *scenarios.World) (clusters.Addresses, error) {
	addrs := clusters.Addresses{}
	for i, p := range w.Pods {
		addrs[p.ID()] = "10.0.0." + string(rune('1'+i))
	}
	return addrs, nil
}

func (c *fakeCluster) Apply(_ context.Context, ch scenarios.Change) (clusters.Addresses, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	p := ch.Policy
	c.denied[strings.TrimPrefix(p.Name, "deny-")+" "+strings.ToLower(string(p.Spec.PolicyTypes[0]))] = true
	return nil, nil
}

func (c *fakeCluster) Probe(context.Context, []probes.Job) ([]probes.Result, error) {
	return nil, errors.New("not used")
}

func (c *fakeCluster) Teardown(context.Context) error { c.torn = true; return nil }

// blocks says whether the enforcer blocks a connection from→to now.
func (c *fakeCluster) blocks(job probes.Job, established bool) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.enf.enforces || (established && !c.enf.cutsOld) || (c.restarting && c.enf.failsOpen) {
		return false
	}
	return c.denied[strings.TrimPrefix(job.To, namespace+"/")+" ingress"] || c.denied[strings.TrimPrefix(job.From, namespace+"/")+" egress"]
}

func (c *fakeCluster) Hold(_ context.Context, job probes.Job) (clusters.HeldConnection, probes.Result, error) {
	h := &fakeHeld{c: c, job: job}
	c.mu.Lock()
	c.backend.held = append(c.backend.held, job)
	refuse := c.enf.slowStart > 0
	c.enf.slowStart--
	c.mu.Unlock()
	if refuse {
		return h, probes.Result{Job: job, Outcome: probes.Blocked, Blocked: probes.Refused}, nil
	}
	return h, h.result(false), nil
}

func (c *fakeCluster) RestartEnforcer(context.Context, []string) (<-chan error, error) {
	c.mu.Lock()
	c.restarting = true
	c.mu.Unlock()
	done := make(chan error, 1)
	go func() {
		time.Sleep(300 * time.Millisecond)
		c.mu.Lock()
		c.restarting = false
		c.mu.Unlock()
		done <- nil
	}()
	return done, nil
}

func (c *fakeCluster) ProbeFromHost(_ context.Context, jobs []probes.Job, near string, sameNode bool) ([]probes.Result, error) {
	out := make([]probes.Result, len(jobs))
	for i, j := range jobs {
		out[i] = probes.Result{Job: j, Outcome: probes.Allowed}
		if c.enf.blocksHost && c.denied[strings.TrimPrefix(j.To, namespace+"/")+" ingress"] {
			out[i] = probes.Result{Job: j, Outcome: probes.Blocked, Blocked: probes.Refused}
		}
	}
	return out, nil
}

type fakeHeld struct {
	c   *fakeCluster
	job probes.Job
}

func (h *fakeHeld) result(established bool) probes.Result {
	if h.c.blocks(h.job, established) {
		return probes.Result{Job: h.job, Outcome: probes.Blocked, Blocked: probes.Dropped}
	}
	return probes.Result{Job: h.job, Outcome: probes.Allowed}
}
func (h *fakeHeld) Exchange(context.Context) probes.Result { return h.result(true) }
func (h *fakeHeld) Dial(context.Context) probes.Result     { return h.result(false) }
func (h *fakeHeld) Close() error                           { return nil }

func values(obs []reports.Observation) map[string]string {
	out := map[string]string{}
	for _, o := range obs {
		out[o.Name] = o.Value
	}
	return out
}

func TestMeasureTellsEnforcersApart(t *testing.T) {
	settle, dialEvery, afterReady = 10*time.Millisecond, 20*time.Millisecond, 200*time.Millisecond
	opts := Options{ProbeTimeout: time.Second, Converge: 300 * time.Millisecond, Restart: 5 * time.Second}
	tests := []struct {
		name string
		enf  fakeEnforcer
		want map[string]string
	}{
		{"conntrack keeps old connections, closed on restart", fakeEnforcer{enforces: true},
			map[string]string{EstablishedIngress: Kept, EstablishedEgress: Kept, EnforcerRestart: StayedClosed, HostSameNode: "allowed", HostOtherNode: "allowed"}},
		{"strict, fail-open on restart, isolates from hosts", fakeEnforcer{enforces: true, cutsOld: true, failsOpen: true, blocksHost: true},
			map[string]string{EstablishedIngress: Cut, EstablishedEgress: Cut, EnforcerRestart: FailOpen, HostSameNode: "blocked", HostOtherNode: "blocked"}},
		{"endpoints that take a moment", fakeEnforcer{enforces: true, slowStart: 2},
			map[string]string{EstablishedIngress: Kept, EstablishedEgress: Kept, EnforcerRestart: StayedClosed}},
		{"no enforcer", fakeEnforcer{},
			map[string]string{EstablishedIngress: NotMeasured, EstablishedEgress: NotMeasured, EnforcerRestart: NotMeasured, HostSameNode: NotMeasured}},
		{"enforcer that cannot be restarted", fakeEnforcer{enforces: true, noRestarts: true},
			map[string]string{EstablishedIngress: Kept, EstablishedEgress: Kept, EnforcerRestart: NotMeasured, HostSameNode: NotMeasured}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			obs := Measure(context.Background(), &fakeBackend{enf: tt.enf}, opts)
			got := values(obs)
			for name, want := range tt.want {
				if got[name] != want {
					t.Errorf("%s = %q, want %q (all: %+v)", name, got[name], want, obs)
				}
			}
			for _, o := range obs {
				if o.Detail == "" {
					t.Errorf("%s has no detail", o.Name)
				}
			}
		})
	}
}

func TestMeasureWithoutHolderSaysWhy(t *testing.T) {
	obs := Measure(context.Background(), &noHoldBackend{}, Options{})
	if len(obs) != 5 {
		t.Fatalf("%d observations, want 5", len(obs))
	}
	for _, o := range obs {
		if o.Value != NotMeasured || !strings.Contains(o.Detail, "cannot hold") {
			t.Errorf("%s = %s (%s), want not measured saying the cluster cannot hold connections", o.Name, o.Value, o.Detail)
		}
	}
}

type noHoldBackend struct{ fakeBackend }

func (*noHoldBackend) NewCluster(context.Context, string) (clusters.Cluster, error) {
	return struct{ clusters.Cluster }{&fakeCluster{denied: map[string]bool{}}}, nil
}

func TestRestartObservationCountsTheWindow(t *testing.T) {
	dials := []dial{
		{at: 100 * time.Millisecond, result: probes.Result{Outcome: probes.Blocked}},
		{at: 700 * time.Millisecond, result: probes.Result{Outcome: probes.Allowed}},
		{at: 1200 * time.Millisecond, result: probes.Result{Outcome: probes.Allowed}},
		{at: 1500 * time.Millisecond, result: probes.Result{Outcome: probes.Error}},
	}
	o := restartObservation(dials, 2*time.Second)
	if o.Value != FailOpen || !strings.Contains(o.Detail, "2 of 4 dials") || !strings.Contains(o.Detail, "from 700ms to 1.2s") {
		t.Errorf("got %s: %s", o.Value, o.Detail)
	}
	if o := restartObservation(dials[3:], time.Second); o.Value != NotMeasured {
		t.Errorf("errors only: %s, want not measured", o.Value)
	}
}

func TestHostObservationNeedsTheControl(t *testing.T) {
	allowed := probes.Result{Outcome: probes.Allowed}
	dropped := probes.Result{Outcome: probes.Blocked, Blocked: probes.Dropped}
	if o := hostObservation("x", dropped, allowed); o.Value != "blocked" || !strings.Contains(o.Detail, "dropped") {
		t.Errorf("isolated dropped, control allowed: %s (%s)", o.Value, o.Detail)
	}
	if o := hostObservation("x", dropped, dropped); o.Value != NotMeasured {
		t.Errorf("control blocked too: %s, want not measured", o.Value)
	}
}

// Where the backend has Services, the established connections go through
// them, as applications connect, and the observations say so.
func TestEstablishedThroughServices(t *testing.T) {
	opts := Options{ProbeTimeout: time.Second, Converge: 300 * time.Millisecond, Restart: 5 * time.Second}
	for _, tt := range []struct {
		targets []probes.Target
		want    probes.Target
		detail  string
	}{
		{nil, probes.TargetPod, "dialled by pod IP"},
		{[]probes.Target{probes.TargetPod, probes.TargetService}, probes.TargetService, "dialled through behaviour/b's Service"},
	} {
		b := &fakeBackend{enf: fakeEnforcer{enforces: true}, targets: tt.targets}
		obs := Measure(context.Background(), b, opts)
		if len(b.held) == 0 || b.held[0].Target != tt.want {
			t.Errorf("targets %v: held %+v, want dialled %s", tt.targets, b.held, tt.want)
		}
		for _, o := range obs {
			if o.Name == EstablishedIngress && !strings.HasSuffix(o.Detail, tt.detail) {
				t.Errorf("targets %v: %s detail %q, want it to end %q", tt.targets, o.Name, o.Detail, tt.detail)
			}
		}
	}
}
