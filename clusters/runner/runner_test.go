package runner

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/netpolcheck/netpolcheck/clusters"
	"github.com/netpolcheck/netpolcheck/probes"
	"github.com/netpolcheck/netpolcheck/reports"
	"github.com/netpolcheck/netpolcheck/scenarios"
)

// fakeCluster answers probes through a function of the job and the probing round.
type fakeCluster struct {
	mu      sync.Mutex
	rounds  int
	answer  func(j probes.Job, round int) probes.Outcome
	setup   *scenarios.World
	applied []scenarios.Change
	addrs   clusters.Addresses // returned by Apply for AddPod
	jobs    [][]probes.Job
	torn    bool
	// block says how Blocked answers were blocked; health is CheckEnforcer's answer.
	block  probes.Block
	health error
	// teardownErr is what Teardown returns.
	teardownErr error
}

func (f *fakeCluster) CheckEnforcer(context.Context) error { return f.health }

func (f *fakeCluster) Setup(_ context.Context, w *scenarios.World) (clusters.Addresses, error) {
	f.setup = w
	return nil, nil
}

func (f *fakeCluster) Apply(_ context.Context, c scenarios.Change) (clusters.Addresses, error) {
	f.applied = append(f.applied, c)
	if c.Kind == scenarios.AddPod {
		return f.addrs, nil
	}
	return nil, nil
}

func (f *fakeCluster) Probe(_ context.Context, jobs []probes.Job) ([]probes.Result, error) {
	f.mu.Lock()
	round := f.rounds
	f.rounds++
	f.jobs = append(f.jobs, jobs)
	f.mu.Unlock()
	out := make([]probes.Result, len(jobs))
	for i, j := range jobs {
		out[i] = probes.Result{Job: j, Outcome: f.answer(j, round)}
		if out[i].Outcome == probes.Blocked {
			out[i].Blocked = f.block
			if f.block == probes.Dropped {
				out[i].Elapsed = j.Timeout // a drop waits the timeout out
			}
		}
	}
	return out, nil
}

func (f *fakeCluster) Teardown(context.Context) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.torn = true
	return f.teardownErr
}

type fakeBackend struct {
	cluster *fakeCluster
	caps    clusters.Capabilities
}

func (b *fakeBackend) Name() string                        { return "fake" }
func (b *fakeBackend) Capabilities() clusters.Capabilities { return b.caps }
func (b *fakeBackend) Close(context.Context) error         { return nil }
func (b *fakeBackend) NewCluster(context.Context, string) (clusters.Cluster, error) {
	return b.cluster, nil
}

// denyIngressTo isolates pod b of namespace x for ingress.
func denyIngressTo(pod string) *networkingv1.NetworkPolicy {
	return &networkingv1.NetworkPolicy{
		ObjectMeta: metav1.ObjectMeta{Name: "deny-" + pod, Namespace: "x"},
		Spec: networkingv1.NetworkPolicySpec{
			PodSelector: metav1.LabelSelector{MatchLabels: map[string]string{"pod": pod}},
			PolicyTypes: []networkingv1.PolicyType{networkingv1.PolicyTypeIngress},
		},
	}
}

// twoPods is x/a and x/b serving 80/TCP, with b isolated for ingress.
func twoPods(t *testing.T, expectDefault string, ports ...scenarios.Port) *scenarios.Scenario {
	t.Helper()
	if len(ports) == 0 {
		ports = []scenarios.Port{{Port: 80, Protocol: scenarios.TCP}}
	}
	s, err := scenarios.New("two-pods").Source(scenarios.SourceGenerated).Tags("ingress").
		DefaultPorts(ports...).
		Namespace("x", map[string]string{"ns": "x"},
			scenarios.PodNamed("a", map[string]string{"pod": "a"}),
			scenarios.PodNamed("b", map[string]string{"pod": "b"})).
		Step("deny b", scenarios.Apply(denyIngressTo("b"))).
		Expect(expectDefault, scenarios.DenyRule("*", "x/b", "")).
		Build()
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// truthful answers what the policy means: only x/a -> x/b is blocked (x/b -> x/b is loopback).
func truthful(j probes.Job, _ int) probes.Outcome {
	if j.To == "x/b" && j.From != "x/b" {
		return probes.Blocked
	}
	return probes.Allowed
}

// cellVerdicts are a run step's cell verdicts by "from>to".
func cellVerdicts(step reports.StepResult) map[string]reports.Status {
	out := map[string]reports.Status{}
	for _, c := range step.Cells {
		out[c.From+">"+c.To] = c.Verdict
	}
	return out
}

// cellExpected are a step's expected outcomes by "from>to".
func cellExpected(step reports.StepResult) map[string]reports.Outcome {
	out := map[string]reports.Outcome{}
	for _, c := range step.Cells {
		out[c.From+">"+c.To] = c.Expected
	}
	return out
}

func TestSimulateReportsOracleVerdicts(t *testing.T) {
	res := Run(context.Background(), []*scenarios.Scenario{twoPods(t, "allow")}, Options{})
	if res.Mode != "simulate" || ExitCode(res) != 0 {
		t.Fatalf("mode %q exit %d, want simulate 0: %+v", res.Mode, ExitCode(res), res.Scenarios[0])
	}
	got := cellExpected(res.Scenarios[0].Steps[0])
	want := map[string]reports.Outcome{"x/a>x/a": "allowed", "x/a>x/b": "blocked", "x/b>x/a": "allowed", "x/b>x/b": "blocked"}
	for _, c := range res.Scenarios[0].Steps[0].Cells {
		if c.Verdict != "" || c.Observed != "" {
			t.Errorf("simulated cell %s -> %s has verdict %q, observed %q", c.From, c.To, c.Verdict, c.Observed)
		}
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("cell %s = %q, want %q", k, got[k], v)
		}
	}
	step := &res.Scenarios[0].Steps[0]
	for i, c := range step.Cells {
		if e, err := step.CellExplanation(i); e == "" || err != nil {
			t.Errorf("cell %s>%s has no explanation: %v", c.From, c.To, err)
		}
	}
	// Explanations are computed as the results are written, and written.
	var b bytes.Buffer
	if err := reports.WriteJSON(&b, res); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "results.json")
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	back, err := reports.ReadResults(path)
	if err != nil {
		t.Fatal(err)
	}
	for i, c := range back.Scenarios[0].Steps[0].Cells {
		if want, _ := step.CellExplanation(i); c.Explanation == "" || c.Explanation != want {
			t.Errorf("written cell %s>%s explanation %q, want %q", c.From, c.To, c.Explanation, want)
		}
	}
}

func TestSimulateFailsOnWrongHandWrittenExpectation(t *testing.T) {
	s := twoPods(t, "allow")
	s.Steps[0].Expect.Rules = nil // claims everything is allowed
	res := Run(context.Background(), []*scenarios.Scenario{s}, Options{})
	step := res.Scenarios[0].Steps[0]
	if step.Status != reports.Fail || ExitCode(res) != 1 {
		t.Fatalf("status %s exit %d, want fail 1", step.Status, ExitCode(res))
	}
	if len(step.HandWritten) != 1 {
		t.Fatalf("hand-written mismatches %+v, want exactly x/a -> x/b", step.HandWritten)
	}
	m := step.HandWritten[0]
	if m.From != "x/a" || m.To != "x/b" || m.Port != "80/TCP" || m.HandWritten != "allowed" || m.Oracle != "blocked" {
		t.Errorf("mismatch %+v", m)
	}
}

func TestRunWithoutEnforcementFailsExactlyTheBlockedCells(t *testing.T) {
	fc := &fakeCluster{answer: func(probes.Job, int) probes.Outcome { return probes.Allowed }}
	res := Run(context.Background(), []*scenarios.Scenario{twoPods(t, "allow")},
		Options{Backend: &fakeBackend{cluster: fc, caps: clusters.Capabilities{ExternalHosts: true}}, Converge: 250 * time.Millisecond})
	step := res.Scenarios[0].Steps[0]
	got := cellVerdicts(step)
	want := map[string]reports.Status{"x/a>x/a": "pass", "x/a>x/b": "fail", "x/b>x/a": "pass", "x/b>x/b": "ignored"}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("cell %s = %q, want %q", k, got[k], v)
		}
	}
	if step.Status != reports.Fail || ExitCode(res) != 1 || !fc.torn {
		t.Errorf("status %s exit %d torn %v, want fail 1 true", step.Status, ExitCode(res), fc.torn)
	}
	if step.Retries == 0 {
		t.Error("a mismatch must be re-probed before the step fails")
	}
	for _, c := range step.Cells {
		if c.Verdict == "fail" && (!strings.Contains(c.Reproduce, "--focus '^two-pods$'") || c.Explanation == "") {
			t.Errorf("wrong cell %s>%s lacks its reproduce command or explanation: %+v", c.From, c.To, c)
		}
	}
	// Only the mismatching cell is re-probed.
	for _, round := range fc.jobs[1:] {
		if len(round) != 1 || round[0].From != "x/a" || round[0].To != "x/b" {
			t.Fatalf("re-probe round %+v, want only x/a -> x/b", round)
		}
	}
}

func TestRunConvergesAfterRetries(t *testing.T) {
	fc := &fakeCluster{answer: func(j probes.Job, round int) probes.Outcome {
		if round < 2 {
			return probes.Allowed // the policy is not in force yet
		}
		return truthful(j, round)
	}}
	res := Run(context.Background(), []*scenarios.Scenario{twoPods(t, "allow")},
		Options{Backend: &fakeBackend{cluster: fc, caps: clusters.Capabilities{ExternalHosts: true}}})
	step := res.Scenarios[0].Steps[0]
	if step.Status != reports.Pass || step.Retries != 2 || step.Converge <= 0 {
		t.Fatalf("status %s retries %d converge %v, want pass 2 >0", step.Status, step.Retries, step.Converge)
	}
	if ExitCode(res) != 0 {
		t.Errorf("exit %d, want 0", ExitCode(res))
	}
}

func TestRunProbeErrorIsNeverBlocked(t *testing.T) {
	fc := &fakeCluster{answer: func(j probes.Job, r int) probes.Outcome {
		if j.From == "x/a" && j.To == "x/b" {
			return probes.Error
		}
		return truthful(j, r)
	}}
	res := Run(context.Background(), []*scenarios.Scenario{twoPods(t, "allow")},
		Options{Backend: &fakeBackend{cluster: fc, caps: clusters.Capabilities{ExternalHosts: true}}, Converge: 200 * time.Millisecond})
	step := res.Scenarios[0].Steps[0]
	if step.Status != reports.Error || cellVerdicts(step)["x/a>x/b"] != "error" {
		t.Fatalf("status %s cells %v, want error with x/a>x/b error", step.Status, cellVerdicts(step))
	}
}

func TestRunSkipsSCTPWithReason(t *testing.T) {
	fc := &fakeCluster{answer: truthful}
	s := twoPods(t, "allow", scenarios.Port{Port: 80, Protocol: scenarios.TCP}, scenarios.Port{Port: 80, Protocol: scenarios.SCTP})
	s.Steps[0].Expect.Rules[0].On = "80/TCP"
	s.Steps[0].Expect.Rules = append(s.Steps[0].Expect.Rules, scenarios.DenyRule("*", "x/b", "80/SCTP"))
	res := Run(context.Background(), []*scenarios.Scenario{s},
		Options{Backend: &fakeBackend{cluster: fc, caps: clusters.Capabilities{SCTPReason: "kernel has no SCTP", ExternalHosts: true}}})
	step := res.Scenarios[0].Steps[0]
	if step.Status != reports.Pass {
		t.Fatalf("status %s: %s", step.Status, step.Error)
	}
	if len(step.Skipped) != 1 || !strings.Contains(step.Skipped[0], "kernel has no SCTP") {
		t.Errorf("skipped reasons %v", step.Skipped)
	}
	for _, c := range step.Cells {
		if (c.Protocol == "SCTP") != (c.Verdict == "skipped") {
			t.Errorf("cell %+v: SCTP cells and only they are skipped", c)
		}
	}
	for _, round := range fc.jobs {
		for _, j := range round {
			if j.Protocol == "SCTP" {
				t.Fatalf("SCTP job %+v was sent to a cluster without SCTP", j)
			}
		}
	}
}

func TestRunUsesAddressesTheClusterAssigned(t *testing.T) {
	fc := &fakeCluster{answer: func(probes.Job, int) probes.Outcome { return probes.Allowed }, addrs: clusters.Addresses{"x/c": "192.168.0.99"}}
	s, err := scenarios.New("add-pod").Source(scenarios.SourceGenerated).Tags("create").
		DefaultPorts(scenarios.Port{Port: 80, Protocol: scenarios.TCP}).
		Namespace("x", nil, scenarios.PodNamed("a", nil)).
		Step("add c", scenarios.CreatePodIn("x", scenarios.PodNamed("c", nil))).
		Expect("allow").Build()
	if err != nil {
		t.Fatal(err)
	}
	res := Run(context.Background(), []*scenarios.Scenario{s}, Options{Backend: &fakeBackend{cluster: fc, caps: clusters.Capabilities{ExternalHosts: true}}})
	if st := res.Scenarios[0].Status; st != reports.Pass {
		t.Fatalf("status %s: %+v", st, res.Scenarios[0])
	}
	found := false
	for _, j := range fc.jobs[0] {
		if j.To == "x/c" {
			found = true
			if j.Host != "192.168.0.99" {
				t.Errorf("probe to x/c dialled %s, want the assigned 192.168.0.99", j.Host)
			}
		}
	}
	if !found {
		t.Fatal("no probe to the created pod")
	}
}

func TestReproduceCommandReloadsTheScenario(t *testing.T) {
	cell := reports.Cell{From: "x/a", To: "y/b", Port: 80, Protocol: "TCP"}
	for _, tc := range []struct {
		s    scenarios.Scenario
		want string
	}{
		{scenarios.Scenario{Name: "upstream-pod-selector", File: "library/upstream/pod-selector.yaml"},
			"netpolcheck run --cluster local --focus '^upstream-pod-selector$' && netpolcheck explain --focus '^upstream-pod-selector$' --step 2 --from x/a --to y/b --port 80/TCP"},
		{scenarios.Scenario{Name: "mine.v2", File: "my dir/p.yaml"},
			`netpolcheck run --cluster local -f 'my dir/p.yaml' --focus '^mine\.v2$' && netpolcheck explain -f 'my dir/p.yaml' --focus '^mine\.v2$' --step 2 --from x/a --to y/b --port 80/TCP`},
		{scenarios.Scenario{Name: "gen-x", Source: scenarios.SourceGenerated},
			"netpolcheck run --cluster local --profile full --focus '^gen-x$' && netpolcheck explain --profile full --focus '^gen-x$' --step 2 --from x/a --to y/b --port 80/TCP"},
	} {
		if got := reproduceCommand(&tc.s, "local", 1, cell); got != tc.want {
			t.Errorf("reproduce %s:\n got %s\nwant %s", tc.s.Name, got, tc.want)
		}
	}
}

func TestCellsFailingKeepsOnlyFailingSteps(t *testing.T) {
	good := twoPods(t, "allow")
	bad := twoPods(t, "allow")
	bad.Name = "bad"
	bad.Steps[0].Expect.Rules = nil
	res := Run(context.Background(), []*scenarios.Scenario{good, bad}, Options{Cells: CellsFailing})
	g, b := res.Scenarios[0].Steps[0], res.Scenarios[1].Steps[0]
	if g.Cells != nil || !g.CellsOmitted || g.CellCount != 4 {
		t.Errorf("passing step: cells %d omitted %v count %d, want none, true, 4", len(g.Cells), g.CellsOmitted, g.CellCount)
	}
	if len(b.Cells) != 4 || b.CellsOmitted || b.CellCount != 4 {
		t.Errorf("failing step: cells %d omitted %v count %d, want 4, false, 4", len(b.Cells), b.CellsOmitted, b.CellCount)
	}
	// twoPods plans 2 endpoints x 2 targets x 1 step = 4 cells.
	auto := (Options{}).withDefaults()
	if got := PlannedCells(good); got != 4 {
		t.Errorf("PlannedCells = %d, want 4", got)
	}
	few := make([]*scenarios.Scenario, AutoCells/4)
	for i := range few {
		few[i] = good
	}
	if !auto.keepPassingCells(few) || auto.keepPassingCells(append(few, good)) {
		t.Error("auto keeps passing cells up to AutoCells cells and no further")
	}
}

// A thousand-pod world is one step but a million cells: auto must not keep them.
func TestAutoCellsCountsCellsNotSteps(t *testing.T) {
	b := scenarios.New("big").DefaultPorts(scenarios.Port{Port: 80, Protocol: scenarios.TCP})
	pods := make([]scenarios.PodSpec, 1000)
	for i := range pods {
		pods[i] = scenarios.PodNamed(fmt.Sprintf("p%d", i), nil)
	}
	s, err := b.Namespace("x", nil, pods...).Step("s").Build()
	if err != nil {
		t.Fatal(err)
	}
	if got := PlannedCells(s); got != 1_000_000 {
		t.Errorf("PlannedCells = %d, want 1,000,000", got)
	}
	if (Options{}).withDefaults().keepPassingCells([]*scenarios.Scenario{s}) {
		t.Error("auto keeps the passing cells of a 1,000,000-cell step")
	}
}

func TestInterruptedRunSkipsWhatNeverStarted(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	res := Run(ctx, []*scenarios.Scenario{twoPods(t, "allow")}, Options{})
	if st := res.Scenarios[0]; st.Status != reports.Skipped || !strings.Contains(st.Error, "interrupted") {
		t.Errorf("scenario %+v, want skipped as not run", st)
	}
}

// A rejecting enforcer passes the blocked cells like a dropping one, and the
// results say which it was.
func TestRunRecordsHowCellsWereBlocked(t *testing.T) {
	for _, block := range []probes.Block{probes.Dropped, probes.Refused} {
		fc := &fakeCluster{answer: truthful, block: block}
		res := Run(context.Background(), []*scenarios.Scenario{twoPods(t, "allow")},
			Options{Backend: &fakeBackend{cluster: fc, caps: clusters.Capabilities{ExternalHosts: true}}, Cells: CellsAll})
		step := res.Scenarios[0].Steps[0]
		if step.Status != reports.Pass {
			t.Fatalf("%s: status %s, want pass", block, step.Status)
		}
		if len(step.Blocks) != 1 || step.Blocks[reports.How(block)] != 1 {
			t.Errorf("%s: blocks %v, want the one blocked cell counted as %s", block, step.Blocks, block)
		}
		for _, c := range step.Cells {
			want := reports.How("")
			if c.Observed == "blocked" {
				want = reports.How(block)
			}
			if c.Blocked != want {
				t.Errorf("%s: cell %s>%s blocked %q, want %q", block, c.From, c.To, c.Blocked, want)
			}
		}
	}
}

// An enforcer that is gone makes the step an error saying so, at once,
// instead of probing until every cell it should block fails.
func TestRunStopsAtAnEnforcerThatIsGone(t *testing.T) {
	fc := &fakeCluster{answer: func(probes.Job, int) probes.Outcome { return probes.Allowed }, health: errors.New("programs not attached: device 4: tcx_ingress program detached")}
	start := time.Now()
	res := Run(context.Background(), []*scenarios.Scenario{twoPods(t, "allow")},
		Options{Backend: &fakeBackend{cluster: fc, caps: clusters.Capabilities{ExternalHosts: true}}, Converge: 5 * time.Second})
	step := res.Scenarios[0].Steps[0]
	if step.Status != reports.Error || !strings.Contains(step.Error, "enforcer check before probing: programs not attached") {
		t.Errorf("step %s %q, want an error naming the detached program", step.Status, step.Error)
	}
	if len(fc.jobs) != 0 || time.Since(start) > 4*time.Second {
		t.Errorf("probed %d rounds in %v: the check must come before any probe", len(fc.jobs), time.Since(start))
	}
}

// defaultingBackend is a backend with timing of its own.
type defaultingBackend struct {
	fakeBackend
	defaults clusters.Defaults
}

func (b *defaultingBackend) Defaults() clusters.Defaults { return b.defaults }

// The backend's defaults fill what a run leaves unset; what it sets stays;
// a backend without defaults gets the runner's.
func TestBackendDefaults(t *testing.T) {
	own := &defaultingBackend{defaults: clusters.Defaults{ProbeTimeout: 123 * time.Millisecond, Converge: 3 * time.Second}}
	tests := []struct {
		name          string
		opts          Options
		timeout, conv time.Duration
	}{
		{"backend's", Options{Backend: own}, 123 * time.Millisecond, 3 * time.Second},
		{"given ones win", Options{Backend: own, ProbeTimeout: time.Second, Converge: time.Minute}, time.Second, time.Minute},
		{"runner's without backend defaults", Options{Backend: &fakeBackend{}}, probes.DefaultTimeout, DefaultConverge},
		{"runner's in simulate", Options{}, probes.DefaultTimeout, DefaultConverge},
	}
	for _, tt := range tests {
		got := tt.opts.withDefaults()
		if got.ProbeTimeout != tt.timeout || got.Converge != tt.conv {
			t.Errorf("%s: probe timeout %v, converge %v; want %v, %v", tt.name, got.ProbeTimeout, got.Converge, tt.timeout, tt.conv)
		}
	}
}

// A run records each step's phases: its rounds with the cells each probed
// (every cell first, then only the unsettled ones), the pauses between them,
// and the scenario's setup and teardown. Simulation records none.
func TestRunRecordsPhases(t *testing.T) {
	fc := &fakeCluster{block: probes.Dropped, answer: func(j probes.Job, round int) probes.Outcome {
		if round < 1 {
			return probes.Allowed // not in force yet
		}
		return truthful(j, round)
	}}
	res := Run(context.Background(), []*scenarios.Scenario{twoPods(t, "allow")},
		Options{Backend: &fakeBackend{cluster: fc, caps: clusters.Capabilities{ExternalHosts: true}}})
	sc := res.Scenarios[0]
	step := sc.Steps[0]
	p := step.Phases
	if step.Status != reports.Pass || p == nil {
		t.Fatalf("status %s, phases %+v", step.Status, p)
	}
	if len(p.Rounds) != 2 || p.Rounds[0].Cells != step.CellCount || p.Rounds[1].Cells != 1 {
		t.Errorf("rounds %+v, want all %d cells, then the one unsettled", p.Rounds, step.CellCount)
	}
	if p.Rounds[0].TimedOut != 0 || p.Rounds[1].TimedOut != 1 {
		t.Errorf("timed out %d then %d, want 0 then 1 (the dropped x/a -> x/b)", p.Rounds[0].TimedOut, p.Rounds[1].TimedOut)
	}
	// A drop the enforcer's log reported early waited nothing out.
	early := roundOf(1, time.Second, []probes.Result{
		{Job: probes.Job{Timeout: time.Second}, Outcome: probes.Blocked, Blocked: probes.Dropped, Elapsed: 3 * time.Millisecond},
		{Job: probes.Job{Timeout: time.Second}, Outcome: probes.Blocked, Blocked: probes.Dropped, Elapsed: time.Second},
	})
	if early.TimedOut != 1 || early.Slowest != 1 {
		t.Errorf("round of an early and a waited drop: %+v, want one timed out, the slowest 1 s", early)
	}
	if p.Backoff <= 0 || step.Converge < p.Probe()+p.Backoff {
		t.Errorf("backoff %v, probing %v, converge %v: the pause between rounds is part of convergence", p.Backoff, p.Probe(), step.Converge)
	}
	if sc.Setup < 0 || sc.Teardown < 0 || !fc.torn {
		t.Errorf("setup %v teardown %v torn %v", sc.Setup, sc.Teardown, fc.torn)
	}
	sim := Run(context.Background(), []*scenarios.Scenario{twoPods(t, "allow")}, Options{})
	if got := sim.Scenarios[0].Steps[0].Phases; got != nil {
		t.Errorf("simulation recorded phases %+v", got)
	}
	if got := sim.Scenarios[0]; got.Setup != 0 || got.Teardown != 0 {
		t.Errorf("simulation recorded setup %v and teardown %v, with no cluster", got.Setup, got.Teardown)
	}
}

// A teardown runs in the background while the lane goes on, and its failure
// still makes its scenario an error, with the teardown's time recorded.
func TestBackgroundTeardownFailureIsTheScenarios(t *testing.T) {
	fc := &fakeCluster{answer: truthful, teardownErr: errors.New("namespace stuck terminating")}
	res := Run(context.Background(), []*scenarios.Scenario{twoPods(t, "allow")}, Options{Backend: &fakeBackend{cluster: fc}, FreshClusters: true})
	sc := res.Scenarios[0]
	if sc.Status != reports.Error || sc.Error != "teardown: namespace stuck terminating" || !fc.torn {
		t.Errorf("scenario %s (%q), torn %v; want an error naming the teardown", sc.Status, sc.Error, fc.torn)
	}
	if ExitCode(res) != 1 {
		t.Errorf("exit code %d, want 1", ExitCode(res))
	}
}
