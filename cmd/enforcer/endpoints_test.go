package main

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/netpolcheck/netpolcheck/enforcer/bpf"
	"github.com/netpolcheck/netpolcheck/enforcer/compile"
	"github.com/netpolcheck/netpolcheck/enforcer/controller"
	"github.com/netpolcheck/netpolcheck/enforcer/datapath"
)

type fakeSource struct {
	status     controller.Status
	metrics    controller.Metrics
	metricsErr error
	detached   error
}

func (f *fakeSource) CheckAttached() error { return f.detached }

func (f *fakeSource) Status() controller.Status { return f.status }
func (f *fakeSource) Metrics() (controller.Metrics, error) {
	return f.metrics, f.metricsErr
}

func get(t *testing.T, h http.Handler, method, path string) (int, string) {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(method, path, nil))
	body, _ := io.ReadAll(rec.Body)
	return rec.Code, string(body)
}

func TestEndpoints(t *testing.T) {
	applied := &fakeSource{status: controller.Status{Generation: 3, Endpoints: 2}}
	tests := []struct {
		name   string
		state  func() *daemonState
		method string
		path   string
		code   int
		body   string
	}{
		{"live before anything is loaded", func() *daemonState { return &daemonState{} }, "GET", "/healthz", 200, "ok\n"},
		{"not ready before the maps are loaded", func() *daemonState { return &daemonState{} }, "GET", "/readyz", 503,
			"not ready: datapath maps not loaded yet\n"},
		{"no metrics before the maps are loaded", func() *daemonState { return &daemonState{} }, "GET", "/metrics", 503,
			"no metrics: datapath maps not loaded yet\n"},
		{"not ready before the first Apply", func() *daemonState {
			s := &daemonState{}
			s.loaded(&fakeSource{})
			return s
		}, "GET", "/readyz", 503, "not ready: waiting for the informers to sync and the first Apply\n"},
		{"not ready while the first sync fails", func() *daemonState {
			s := &daemonState{}
			s.loaded(&fakeSource{status: controller.Status{Err: errors.New("sync: compile: policy x/p: bad")}})
			return s
		}, "GET", "/readyz", 503, "not ready: waiting for the informers to sync and the first Apply: sync: compile: policy x/p: bad\n"},
		{"ready once applied", func() *daemonState {
			s := &daemonState{}
			s.loaded(applied)
			return s
		}, "GET", "/readyz", 200, "ready: marker 0 in force at generation 3, 2 endpoints\n"},
		{"not ready once a program is detached", func() *daemonState {
			s := &daemonState{}
			src := *applied
			src.detached = errors.New("programs not attached: device 7: tcx_ingress program detached")
			s.loaded(&src)
			return s
		}, "GET", "/readyz", 503, "not ready: programs not attached: device 7: tcx_ingress program detached\n"},
		{"not ready once stopping", func() *daemonState {
			s := &daemonState{}
			s.loaded(applied)
			s.stop()
			return s
		}, "GET", "/readyz", 503, "not ready: stopping\n"},
		{"metrics that cannot be read", func() *daemonState {
			s := &daemonState{}
			s.loaded(&fakeSource{metricsErr: errors.New("metrics: read counter 0: bad file descriptor")})
			return s
		}, "GET", "/metrics", 500, "metrics: read counter 0: bad file descriptor\n"},
		{"health is GET only", func() *daemonState { return &daemonState{} }, "POST", "/healthz", 405, "Method Not Allowed\n"},
		{"unknown path", func() *daemonState { return &daemonState{} }, "GET", "/debug", 404, "404 page not found\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, body := get(t, newHandler(tt.state()), tt.method, tt.path)
			if code != tt.code || body != tt.body {
				t.Errorf("%s %s = %d %q, want %d %q", tt.method, tt.path, code, body, tt.code, tt.body)
			}
		})
	}
}

func TestMetricsText(t *testing.T) {
	s := &daemonState{}
	s.loaded(&fakeSource{metrics: controller.Metrics{
		Events: 40, Syncs: 7, SyncErrors: 1, Drops: 5, Generation: 6,
		Endpoints: 3, Peers: 120, Ports: 9, Skipped: 1,
		LastSyncLatency: 12500 * time.Microsecond, MaxSyncLatency: 2 * time.Second,
		Verdicts: datapath.Counters{IngressAllowed: 100, IngressDenied: 4, EgressAllowed: 90, EgressDenied: 1, DropsLost: 2},
	}})
	for range 4 {
		s.dropped(datapath.Drop{Direction: bpf.Ingress})
	}
	s.dropped(datapath.Drop{Direction: bpf.Egress})
	s.dropped(datapath.Drop{}) // no direction: counted by neither
	admin := &compile.RuleRef{Tier: "Admin", Policy: "deny-db", Priority: 3, Direction: "Ingress", Rule: 1, Action: "Deny"}
	s.dropped(datapath.Drop{Direction: bpf.Ingress, Reason: bpf.ReasonTier, RuleNumber: 2, Rule: admin})
	s.dropped(datapath.Drop{Direction: bpf.Ingress, Reason: bpf.ReasonTier, RuleNumber: 2, Rule: admin})
	s.dropped(datapath.Drop{Direction: bpf.Egress, Reason: bpf.ReasonTier})

	rec := httptest.NewRecorder()
	newHandler(s).ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	if got, want := rec.Header().Get("Content-Type"), "text/plain; version=0.0.4; charset=utf-8"; got != want {
		t.Errorf("Content-Type %q, want %q", got, want)
	}
	want := `# HELP netpolcheck_enforcer_verdicts_total Packets decided by the datapath, by policy direction and verdict.
# TYPE netpolcheck_enforcer_verdicts_total counter
netpolcheck_enforcer_verdicts_total{direction="ingress",verdict="allowed"} 100
netpolcheck_enforcer_verdicts_total{direction="ingress",verdict="denied"} 4
netpolcheck_enforcer_verdicts_total{direction="egress",verdict="allowed"} 90
netpolcheck_enforcer_verdicts_total{direction="egress",verdict="denied"} 1
# HELP netpolcheck_enforcer_drops_total Drop records read from the datapath, by the policy direction that denied.
# TYPE netpolcheck_enforcer_drops_total counter
netpolcheck_enforcer_drops_total{direction="ingress"} 6
netpolcheck_enforcer_drops_total{direction="egress"} 2
# HELP netpolcheck_enforcer_drops_lost_total Drop records the ring buffer had no room for.
# TYPE netpolcheck_enforcer_drops_lost_total counter
netpolcheck_enforcer_drops_lost_total 2
# HELP netpolcheck_enforcer_tier_drops_total Drop records under ClusterNetworkPolicy tiers, by the tier, cluster policy and rule that denied (tier NetworkPolicy: isolation).
# TYPE netpolcheck_enforcer_tier_drops_total counter
netpolcheck_enforcer_tier_drops_total{tier="Admin",policy="deny-db",direction="ingress",rule="1"} 2
netpolcheck_enforcer_tier_drops_total{tier="NetworkPolicy",policy="",direction="egress",rule=""} 1
# HELP netpolcheck_enforcer_map_entries Entries of the policy tables in force, by map.
# TYPE netpolcheck_enforcer_map_entries gauge
netpolcheck_enforcer_map_entries{map="endpoints"} 3
netpolcheck_enforcer_map_entries{map="peers"} 120
netpolcheck_enforcer_map_entries{map="ports"} 9
# HELP netpolcheck_enforcer_skipped_endpoints Local pods the compiler had to leave unenforced.
# TYPE netpolcheck_enforcer_skipped_endpoints gauge
netpolcheck_enforcer_skipped_endpoints 1
# HELP netpolcheck_enforcer_applied_generation Generation of the policy tables in force, 0 before the first Apply.
# TYPE netpolcheck_enforcer_applied_generation gauge
netpolcheck_enforcer_applied_generation 6
# HELP netpolcheck_enforcer_last_sync_latency_seconds Time from the first change a sync covered to its Apply returning, for the last sync.
# TYPE netpolcheck_enforcer_last_sync_latency_seconds gauge
netpolcheck_enforcer_last_sync_latency_seconds 0.0125
# HELP netpolcheck_enforcer_max_sync_latency_seconds The longest such time since the daemon started.
# TYPE netpolcheck_enforcer_max_sync_latency_seconds gauge
netpolcheck_enforcer_max_sync_latency_seconds 2
# HELP netpolcheck_enforcer_events_total Informer notifications received.
# TYPE netpolcheck_enforcer_events_total counter
netpolcheck_enforcer_events_total 40
# HELP netpolcheck_enforcer_syncs_total Compile-and-apply passes.
# TYPE netpolcheck_enforcer_syncs_total counter
netpolcheck_enforcer_syncs_total 7
# HELP netpolcheck_enforcer_sync_errors_total Compile-and-apply passes that failed.
# TYPE netpolcheck_enforcer_sync_errors_total counter
netpolcheck_enforcer_sync_errors_total 1
`
	if got := rec.Body.String(); rec.Code != 200 || got != want {
		t.Errorf("/metrics = %d\n%s\nwant 200\n%s", rec.Code, got, want)
	}
}
