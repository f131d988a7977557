package runner

import (
	"context"
	"testing"
	"time"

	"github.com/netpolcheck/netpolcheck/clusters"
	"github.com/netpolcheck/netpolcheck/probes"
	"github.com/netpolcheck/netpolcheck/reports"
	"github.com/netpolcheck/netpolcheck/scenarios"
)

// TestRunSkipsCellsTheClusterSkips: a backend may find it cannot carry one
// cell (the kube backend cannot send probes from a static external host);
// its Skipped result skips the cell at once instead of failing it after retries.
func TestRunSkipsCellsTheClusterSkips(t *testing.T) {
	fc := &fakeCluster{answer: func(j probes.Job, r int) probes.Outcome {
		if j.From == "x/a" {
			return probes.Skipped
		}
		return truthful(j, r)
	}}
	res := Run(context.Background(), []*scenarios.Scenario{twoPods(t, "allow")},
		Options{Backend: &fakeBackend{cluster: fc, caps: clusters.Capabilities{ExternalHosts: true}}, Converge: 5 * time.Second})
	step := res.Scenarios[0].Steps[0]
	if step.Status != reports.Pass || step.Retries != 0 {
		t.Fatalf("status %s retries %d (%s), want pass with no retries", step.Status, step.Retries, step.Error)
	}
	want := map[string]reports.Status{"x/a>x/a": "skipped", "x/a>x/b": "skipped", "x/b>x/a": "pass", "x/b>x/b": "ignored"}
	got := cellVerdicts(step)
	for k, v := range want {
		if got[k] != v {
			t.Errorf("cell %s = %q, want %q", k, got[k], v)
		}
	}
	if len(step.Skipped) != 1 || step.Skipped[0] != "the cluster cannot carry this cell" {
		t.Errorf("skip reasons %q, want the default reason once", step.Skipped)
	}
}
