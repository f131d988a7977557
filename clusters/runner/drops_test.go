package runner

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/netpolcheck/netpolcheck/clusters"
	"github.com/netpolcheck/netpolcheck/probes"
	"github.com/netpolcheck/netpolcheck/reports"
	"github.com/netpolcheck/netpolcheck/scenarios"
)

// droppingCluster is a fakeCluster whose enforcer logs a drop for every
// job, from the probing round logFrom on.
type droppingCluster struct {
	*fakeCluster
	logFrom int
}

func (d droppingCluster) Drops(j probes.Job) []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.rounds <= d.logFrom {
		return nil
	}
	return []string{"denied " + j.From + " -> " + j.To}
}

var _ clusters.DropReporter = droppingCluster{}

type droppingBackend struct {
	fakeBackend
	cluster droppingCluster
}

func (b *droppingBackend) NewCluster(context.Context, string) (clusters.Cluster, error) {
	return b.cluster, nil
}

func TestRunAttachesDropsToBlockedAndWrongCells(t *testing.T) {
	tests := []struct {
		name   string
		answer func(probes.Job, int) probes.Outcome
		want   map[string][]string
	}{
		{
			// The blocked cell shows the drop that blocked it; allowed cells show none.
			name:   "enforced",
			answer: truthful,
			want:   map[string][]string{"x/a>x/b": {"denied x/a -> x/b"}, "x/b>x/b": {"denied x/b -> x/b"}},
		},
		{
			// An allowed cell that should be blocked is wrong, so it shows the log too.
			name:   "not enforced",
			answer: func(probes.Job, int) probes.Outcome { return probes.Allowed },
			want:   map[string][]string{"x/a>x/b": {"denied x/a -> x/b"}, "x/b>x/b": {"denied x/b -> x/b"}},
		},
		{
			// A probe that could not run is an error cell, whatever was expected.
			name:   "probe errors",
			answer: func(probes.Job, int) probes.Outcome { return probes.Error },
			want: map[string][]string{
				"x/a>x/a": {"denied x/a -> x/a"}, "x/a>x/b": {"denied x/a -> x/b"},
				"x/b>x/a": {"denied x/b -> x/a"}, "x/b>x/b": {"denied x/b -> x/b"},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fc := &fakeCluster{answer: tt.answer}
			b := &droppingBackend{fakeBackend: fakeBackend{caps: clusters.Capabilities{ExternalHosts: true}}, cluster: droppingCluster{fc, 0}}
			res := Run(context.Background(), []*scenarios.Scenario{twoPods(t, "allow")}, Options{Backend: b, Converge: 100 * time.Millisecond})
			got := map[string][]string{}
			for _, c := range res.Scenarios[0].Steps[0].Cells {
				if len(c.Drops) > 0 {
					got[c.From+">"+c.To] = c.Drops
				}
			}
			if len(got) != len(tt.want) {
				t.Errorf("cells with drops = %v, want %v", got, tt.want)
			}
			for k, v := range tt.want {
				if !slices.Equal(got[k], v) {
					t.Errorf("drops of %s = %q, want %q", k, got[k], v)
				}
			}
		})
	}
}

func TestRunCountsOnlyLoggedTimeoutsAsBlocked(t *testing.T) {
	run := func(logFrom int) reports.StepResult {
		fc := &fakeCluster{answer: truthful}
		b := &droppingBackend{fakeBackend: fakeBackend{caps: clusters.Capabilities{ExternalHosts: true}}, cluster: droppingCluster{fc, logFrom}}
		res := Run(context.Background(), []*scenarios.Scenario{twoPods(t, "allow")}, Options{Backend: b, Converge: 400 * time.Millisecond})
		return res.Scenarios[0].Steps[0]
	}
	// The first round's timeout has no drop record yet: probed again, then confirmed.
	step := run(1)
	if got := cellVerdicts(step); step.Status != reports.Pass || step.Retries != 1 || got["x/a>x/b"] != "pass" {
		t.Errorf("drop logged from round 1: status %s, %d retries, verdicts %v; want pass after 1 retry", step.Status, step.Retries, got)
	}
	// A timeout the enforcer never logs is not the policy's doing.
	step = run(1000)
	if step.Status != reports.Fail {
		t.Fatalf("drop never logged: status %s, want fail", step.Status)
	}
	for _, c := range step.Cells {
		want := "pass"
		switch {
		case c.From == "x/a" && c.To == "x/b":
			want = "fail"
			if d := "the enforcer logged no drop for it, so the policy did not block it"; c.Detail != d {
				t.Errorf("detail of x/a -> x/b = %q, want %q", c.Detail, d)
			}
			if !c.NotByEnforcer || c.Observed != "blocked" {
				t.Errorf("x/a -> x/b observed %q, not by enforcer %v; want blocked, but not by the enforcer", c.Observed, c.NotByEnforcer)
			}
		case c.From == "x/b" && c.To == "x/b":
			want = "ignored" // loopback, answered as allowed by truthful
		}
		if string(c.Verdict) != want {
			t.Errorf("cell %s -> %s = %s, want %s", c.From, c.To, c.Verdict, want)
		}
	}
}
