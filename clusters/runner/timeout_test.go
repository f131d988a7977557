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

func TestAnswerTimesTimeout(t *testing.T) {
	a := &answerTimes{}
	full := 250 * time.Millisecond
	answers := func(d time.Duration, n int) {
		rs := make([]probes.Result, n)
		for i := range rs {
			rs[i] = probes.Result{Outcome: probes.Allowed, Elapsed: d}
		}
		a.record(rs)
	}
	answers(time.Millisecond, minAnswers-1)
	a.record([]probes.Result{{Outcome: probes.Blocked, Elapsed: full}})
	if got := a.timeout(full); got != full {
		t.Errorf("with %d answers: %v, want the full %v", minAnswers-1, got, full)
	}
	answers(time.Millisecond, 1)
	if got := a.timeout(full); got != timeoutFloor {
		t.Errorf("1ms answers: %v, want the floor %v", got, timeoutFloor)
	}
	answers(8*time.Millisecond, keptAnswers) // the latest answers replace the oldest
	if got := a.timeout(full); got != timeoutMultiple*8*time.Millisecond {
		t.Errorf("8ms answers: %v, want %v", got, timeoutMultiple*8*time.Millisecond)
	}
	answers(time.Second, keptAnswers)
	if got := a.timeout(full); got != full {
		t.Errorf("1s answers: %v, want at most the full %v", got, full)
	}
}

// slowCluster answers x/b -> x/a only after 100ms, logs a drop for the
// cells the policy blocks (to x/b), and blocks nothing else.
type slowCluster struct{ *fakeCluster }

func (s slowCluster) Drops(j probes.Job) []string {
	if j.To == "x/b" && j.From != "x/b" {
		return []string{"denied " + j.From + " -> " + j.To}
	}
	return nil
}

type slowBackend struct {
	fakeBackend
	cluster slowCluster
}

func (b *slowBackend) NewCluster(context.Context, string) (clusters.Cluster, error) {
	return b.cluster, nil
}

// A short timeout chosen from fast answers never turns a slow allowed
// answer into a block: its cell is probed again with the run's timeout.
// The blocked cell, whose drop is logged, is settled by the short round.
func TestAdaptiveTimeoutConfirmsWithTheFullTimeout(t *testing.T) {
	const slow = 100 * time.Millisecond
	fc := &fakeCluster{block: probes.Dropped, answer: func(j probes.Job, _ int) probes.Outcome {
		switch {
		case j.To == "x/b" && j.From != "x/b":
			return probes.Blocked
		case j.From == "x/b" && j.To == "x/a" && j.Timeout < slow:
			return probes.Blocked // no answer within its timeout
		}
		return probes.Allowed
	}}
	res := runAdaptive(t, fc, 5*time.Second)
	sc := res.Scenarios[0]
	if sc.Status != reports.Pass {
		t.Fatalf("scenario %s: %s", sc.Status, sc.Error)
	}
	step := sc.Steps[0]
	for _, c := range step.Cells {
		if c.From == "x/b" && c.To == "x/a" && c.Observed != reports.OutcomeAllowed {
			t.Errorf("the slow cell was observed %s, want allowed", c.Observed)
		}
	}
	if len(fc.jobs) != 2 || len(fc.jobs[1]) != 1 || fc.jobs[1][0].From != "x/b" || fc.jobs[1][0].Timeout != 250*time.Millisecond {
		t.Fatalf("rounds %+v; want a second round of the slow cell alone, with the full timeout", fc.jobs)
	}
	if fc.jobs[0][0].Timeout != timeoutFloor || step.Phases.Rounds[0].Timeout != reports.Seconds(timeoutFloor.Seconds()) {
		t.Errorf("first round's timeout %v (recorded %v), want %v", fc.jobs[0][0].Timeout, step.Phases.Rounds[0].Timeout, timeoutFloor)
	}
}

// Past the convergence bound, a cell a short timeout left unconfirmed still
// gets its round at the full timeout.
func TestAdaptiveTimeoutConfirmsAfterTheBound(t *testing.T) {
	fc := &fakeCluster{block: probes.Dropped, answer: func(j probes.Job, _ int) probes.Outcome {
		if j.From == "x/b" && j.To == "x/a" && j.Timeout < 100*time.Millisecond {
			return probes.Blocked
		}
		if j.To == "x/b" && j.From != "x/b" {
			return probes.Blocked
		}
		return probes.Allowed
	}}
	res := runAdaptive(t, fc, time.Nanosecond)
	if sc := res.Scenarios[0]; sc.Status != reports.Pass {
		t.Fatalf("scenario %s: %s", sc.Status, sc.Error)
	}
}

// runAdaptive runs two-pods on fc behind a drop log, with a 250ms timeout
// and answers so far of 1ms each: the adaptive timeout starts at its floor.
func runAdaptive(t *testing.T, fc *fakeCluster, converge time.Duration) *reports.Results {
	t.Helper()
	b := &slowBackend{fakeBackend: fakeBackend{caps: clusters.Capabilities{ExternalHosts: true}}, cluster: slowCluster{fc}}
	answers := &answerTimes{}
	fast := make([]probes.Result, minAnswers)
	for i := range fast {
		fast[i] = probes.Result{Outcome: probes.Allowed, Elapsed: time.Millisecond}
	}
	answers.record(fast)
	return Run(context.Background(), []*scenarios.Scenario{twoPods(t, "allow")},
		Options{Backend: b, ProbeTimeout: 250 * time.Millisecond, Converge: converge, Cells: CellsAll, answers: answers})
}

// endingCluster ends its dropped probes at their logged drop, as the local
// cluster with the reference enforcer does.
type endingCluster struct{ slowCluster }

func (endingCluster) EndsDroppedProbes() bool { return true }

// Where dropped probes end at their logged drop, no blocked probe waits
// out its timeout, so a shorter one would only cut slow answers short: the
// run's whole timeout is kept, and the slow cell needs no second round.
func TestNoAdaptiveTimeoutWhereDropsEndProbes(t *testing.T) {
	fc := &fakeCluster{block: probes.Dropped, answer: func(j probes.Job, _ int) probes.Outcome {
		if j.To == "x/b" && j.From != "x/b" || j.From == "x/b" && j.To == "x/a" && j.Timeout < 100*time.Millisecond {
			return probes.Blocked
		}
		return probes.Allowed
	}}
	b := &slowBackend{fakeBackend: fakeBackend{caps: clusters.Capabilities{ExternalHosts: true}}}
	answers := &answerTimes{}
	fast := make([]probes.Result, minAnswers)
	for i := range fast {
		fast[i] = probes.Result{Outcome: probes.Allowed, Elapsed: time.Millisecond}
	}
	answers.record(fast)
	res := Run(context.Background(), []*scenarios.Scenario{twoPods(t, "allow")},
		Options{Backend: &endingBackend{b, endingCluster{slowCluster{fc}}}, ProbeTimeout: 250 * time.Millisecond, Converge: 5 * time.Second, answers: answers})
	if sc := res.Scenarios[0]; sc.Status != reports.Pass {
		t.Fatalf("scenario %s: %s", sc.Status, sc.Error)
	}
	if len(fc.jobs) != 1 || fc.jobs[0][0].Timeout != 250*time.Millisecond {
		t.Errorf("%d rounds, the first with timeout %v; want one round with the run's 250ms", len(fc.jobs), fc.jobs[0][0].Timeout)
	}
}

type endingBackend struct {
	*slowBackend
	cluster endingCluster
}

func (b *endingBackend) NewCluster(context.Context, string) (clusters.Cluster, error) {
	return b.cluster, nil
}
