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

// On kind, one exec in ~900 returned no output: every cell of that source's
// batch errored once. Loopback cells among them must be probed again too,
// or the step errors on a cell that upstream would ignore anyway.
func TestRunReprobesLoopbackCellsThatErrored(t *testing.T) {
	tests := []struct {
		name      string
		errRounds int // rounds in which every probe from x/b errors
		status    reports.Status
		verdict   reports.Status
	}{
		{"errors once, then answers", 1, reports.Pass, reports.Ignored},
		{"never answers", 1 << 30, reports.Error, "error"},
	}
	for _, tt := range tests {
		fc := &fakeCluster{answer: func(j probes.Job, round int) probes.Outcome {
			if j.From == "x/b" && round < tt.errRounds {
				return probes.Error
			}
			return truthful(j, round)
		}}
		res := Run(context.Background(), []*scenarios.Scenario{twoPods(t, "allow")},
			Options{Backend: &fakeBackend{cluster: fc, caps: clusters.Capabilities{ExternalHosts: true}}, Converge: 500 * time.Millisecond})
		step := res.Scenarios[0].Steps[0]
		if step.Status != tt.status || cellVerdicts(step)["x/b>x/b"] != tt.verdict {
			t.Errorf("%s: status %s, cells %v; want %s with x/b>x/b %s", tt.name, step.Status, cellVerdicts(step), tt.status, tt.verdict)
		}
	}
}
