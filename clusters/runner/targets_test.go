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

// A backend with Services probes every pod-to-pod cell once per target, and
// a CNI that gets only Service traffic wrong fails on those cells alone,
// which the results tag as the target dimension.
func TestEveryCellOncePerTarget(t *testing.T) {
	wrongThroughServices := func(j probes.Job, round int) probes.Outcome {
		if j.Target == probes.TargetService {
			return probes.Allowed // as an enforcer judging the ClusterIP would
		}
		return truthful(j, round)
	}
	fc := &fakeCluster{answer: wrongThroughServices}
	b := &fakeBackend{cluster: fc, caps: clusters.Capabilities{Targets: []probes.Target{probes.TargetPod, probes.TargetService}}}
	res := Run(context.Background(), []*scenarios.Scenario{twoPods(t, "allow")}, Options{Backend: b, Converge: 1})
	sc := res.Scenarios[0]
	if !slices.Equal(sc.Tags, []string{"ingress", "target=pod", "target=service"}) {
		t.Errorf("tags %v, want the scenario's and one per target", sc.Tags)
	}
	byTarget := map[string]map[string]string{}
	for _, c := range sc.Steps[0].Cells {
		if byTarget[c.Target] == nil {
			byTarget[c.Target] = map[string]string{}
		}
		byTarget[c.Target][c.From+">"+c.To] = string(c.Verdict)
	}
	if len(byTarget[""]) != 4 || len(byTarget["service"]) != 4 {
		t.Fatalf("cells per target %v, want 4 by pod IP and 4 through Services", byTarget)
	}
	if byTarget[""]["x/a>x/b"] != "pass" || byTarget["service"]["x/a>x/b"] != "fail" {
		t.Errorf("x/a -> x/b: by pod IP %s, through its Service %s; want pass, fail", byTarget[""]["x/a>x/b"], byTarget["service"]["x/a>x/b"])
	}
	for _, jobs := range fc.jobs {
		for _, j := range jobs {
			if j.Target == "" {
				t.Errorf("job %+v names no target", j)
			}
		}
	}
	table := reports.Dimensions(res)
	if table == nil || table.Dimensions[0].Name != reports.TargetDimension || table.Dimensions[0].Values[0].Status != reports.Pass ||
		table.Dimensions[0].Values[1].Status != reports.Fail {
		t.Errorf("dimension table %+v, want target: pod passed, service failed", table)
	}
}

// External hosts have no Service and dial none: their cells go by IP alone.
func TestExternalHostCellsByIPAlone(t *testing.T) {
	s, err := scenarios.New("outside").Source(scenarios.SourceGenerated).
		DefaultPorts(scenarios.Port{Port: 80, Protocol: scenarios.TCP}).
		Namespace("x", nil, scenarios.PodNamed("a", map[string]string{"pod": "a"})).
		External("ext", "203.0.113.9").
		Step("isolate a", scenarios.Apply(denyIngressTo("a"))).
		Build()
	if err != nil {
		t.Fatal(err)
	}
	fc := &fakeCluster{answer: func(probes.Job, int) probes.Outcome { return probes.Allowed }}
	b := &fakeBackend{cluster: fc, caps: clusters.Capabilities{ExternalHosts: true, Targets: []probes.Target{probes.TargetPod, probes.TargetService}}}
	res := Run(context.Background(), []*scenarios.Scenario{s}, Options{Backend: b, Converge: 1})
	var viaService []string
	for _, c := range res.Scenarios[0].Steps[0].Cells {
		if c.Target != "" {
			viaService = append(viaService, c.From+">"+c.To)
		}
	}
	if !slices.Equal(viaService, []string{"x/a>x/a"}) {
		t.Errorf("cells through Services %v, want x/a's own alone", viaService)
	}
}

// On a cluster that enforces nothing, a Service whose forwarding is not yet
// programmed refuses once: that refusal must not pass an expected-blocked
// cell while the same cell by pod IP is answered. It is probed again, and
// its verdict is what the programmed path says.
func TestRefusedServiceTwinOfAnAnsweredCellIsProbedAgain(t *testing.T) {
	refusedOnce := func(j probes.Job, round int) probes.Outcome {
		if j.Target == probes.TargetService && round == 0 {
			return probes.Blocked
		}
		return probes.Allowed // nothing enforces
	}
	fc := &fakeCluster{answer: refusedOnce, block: probes.Refused}
	b := &fakeBackend{cluster: fc, caps: clusters.Capabilities{Targets: []probes.Target{probes.TargetPod, probes.TargetService}}}
	res := Run(context.Background(), []*scenarios.Scenario{twoPods(t, "allow")}, Options{Backend: b, Converge: 2 * time.Second})
	verdicts := map[string]reports.Status{}
	for _, c := range res.Scenarios[0].Steps[0].Cells {
		verdicts[c.Target+" "+c.From+">"+c.To] = c.Verdict
	}
	for _, cell := range []string{" x/a>x/b", "service x/a>x/b"} {
		if verdicts[cell] != reports.Fail {
			t.Errorf("%s: %s, want fail: nothing blocks it once Services forward (verdicts %v)", cell, verdicts[cell], verdicts)
		}
	}
	if fc.rounds < 2 {
		t.Errorf("%d probe rounds, want the refused cell probed again", fc.rounds)
	}
}

// An enforcer that blocks both paths settles both in the first round: the
// twin rule costs it nothing.
func TestAgreeingTwinsSettleInOneRound(t *testing.T) {
	fc := &fakeCluster{answer: truthful}
	b := &fakeBackend{cluster: fc, caps: clusters.Capabilities{Targets: []probes.Target{probes.TargetPod, probes.TargetService}}}
	res := Run(context.Background(), []*scenarios.Scenario{twoPods(t, "allow")}, Options{Backend: b, Converge: 2 * time.Second})
	if st := res.Scenarios[0].Steps[0]; st.Status != reports.Pass || st.Retries != 0 {
		t.Errorf("step %s after %d retries, want pass after none", st.Status, st.Retries)
	}
}
