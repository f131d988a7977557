package kube

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	utilexec "k8s.io/client-go/util/exec"

	"github.com/netpolcheck/netpolcheck/clusters"
	"github.com/netpolcheck/netpolcheck/probes"
	"github.com/netpolcheck/netpolcheck/scenarios"
)

// jobsFor makes a job for every (from, to) pair on 80/TCP, dialling the
// destination's address as the runner does.
func jobsFor(addrs map[string]string, pairs ...[2]string) []probes.Job {
	var jobs []probes.Job
	for _, p := range pairs {
		host := addrs[p[1]]
		if host == "" {
			host = p[1]
		}
		jobs = append(jobs, probes.Job{From: p[0], To: p[1], Host: host, Port: 80, Protocol: "TCP", Expect: p[1], Timeout: time.Second})
	}
	return jobs
}

func TestProbeExecsOncePerSource(t *testing.T) {
	k := newFakeCluster(t)
	exec := &fakeExec{answer: func(req ExecRequest, j probes.Job) probes.Result {
		if j.To == "y/b" {
			return probes.Result{Job: j, Outcome: probes.Blocked, Detail: "timeout"}
		}
		return probes.Result{Job: j, Outcome: probes.Allowed, Detail: "answered " + j.Expect}
	}}
	b := newTestBackend(t, k, exec, testOptions())
	c, addrs := setUp(t, b, xyWorld())
	jobs := jobsFor(addrs, [2]string{"x/a", "y/b"}, [2]string{"y/b", "x/a"}, [2]string{"x/a", "x/a"}, [2]string{"y/b", "y/b"})

	results, err := c.Probe(context.Background(), jobs)
	if err != nil {
		t.Fatal(err)
	}
	wantOutcomes := []probes.Outcome{probes.Blocked, probes.Allowed, probes.Allowed, probes.Blocked}
	for i, r := range results {
		if r.Outcome != wantOutcomes[i] || !reflect.DeepEqual(r.Job, jobs[i]) {
			t.Errorf("result %d = %+v, want %s for job %+v", i, r, wantOutcomes[i], jobs[i])
		}
	}
	calls := exec.sortedCalls()
	if len(calls) != 2 || b.ExecCalls() != 2 {
		t.Fatalf("%d execs (counter %d), want one per source pod: %+v", len(calls), b.ExecCalls(), calls)
	}
	want := execCall{
		Namespace: "npc-r1-0-x", Pod: "a", Container: "probe",
		Command: []string{"/probe", "connect", "--batch", "--concurrency", "32"},
		Jobs:    []probes.Job{jobs[0], jobs[2]},
	}
	if !reflect.DeepEqual(calls[0], want) {
		t.Errorf("exec in x/a = %+v, want %+v", calls[0], want)
	}
	if calls[1].Namespace != "npc-r1-0-y" || calls[1].Pod != "b" || len(calls[1].Jobs) != 2 {
		t.Errorf("exec in y/b = %+v", calls[1])
	}
}

func TestProbeBoundsConcurrentExecs(t *testing.T) {
	k := newFakeCluster(t)
	exec := &fakeExec{delay: 50 * time.Millisecond}
	opts := testOptions()
	opts.ExecConcurrency = 2
	b := newTestBackend(t, k, exec, opts)
	w := &scenarios.World{Namespaces: []scenarios.Namespace{{Name: "x"}}}
	for i := range 6 {
		w.Pods = append(w.Pods, scenarios.Pod{Namespace: "x", Name: fmt.Sprintf("p%d", i), Ports: []scenarios.Port{{Port: 80, Protocol: scenarios.TCP}}})
	}
	c, addrs := setUp(t, b, w)
	var pairs [][2]string
	for _, from := range w.Pods {
		pairs = append(pairs, [2]string{from.ID(), "x/p0"})
	}
	if _, err := c.Probe(context.Background(), jobsFor(addrs, pairs...)); err != nil {
		t.Fatal(err)
	}
	if exec.maxInFlight != 2 || len(exec.calls) != 6 {
		t.Errorf("%d execs, at most %d at once; want 6, at most 2", len(exec.calls), exec.maxInFlight)
	}
}

func TestProbeExecFailureErrorsOnlyThatSource(t *testing.T) {
	k := newFakeCluster(t)
	exec := &fakeExec{fail: func(req ExecRequest) error {
		if req.Pod == "a" {
			return utilexec.CodeExitError{Err: errors.New("command terminated with exit code 3"), Code: 3}
		}
		return nil
	}}
	b := newTestBackend(t, k, exec, testOptions())
	c, addrs := setUp(t, b, xyWorld())
	results, err := c.Probe(context.Background(), jobsFor(addrs, [2]string{"x/a", "y/b"}, [2]string{"y/b", "x/a"}))
	if err != nil {
		t.Fatal(err)
	}
	want := "exec in x/a (npc-r1-0-x/a): command terminated with exit code 3: probe: something broke"
	if results[0].Outcome != probes.Error || results[0].Detail != want {
		t.Errorf("failed source's result = %+v, want error %q", results[0], want)
	}
	if results[1].Outcome != probes.Allowed {
		t.Errorf("other source's result = %+v, want allowed", results[1])
	}
}

func TestProbeSendsABatchAgainWhenTheStreamEndsEarly(t *testing.T) {
	for _, tc := range []struct {
		name      string
		failures  int
		fail      error // nil: the stream ends cleanly with nothing on it
		wantExecs int
		wantErr   string
	}{
		{name: "one empty stream", failures: 1, wantExecs: 2},
		{name: "a transport error", failures: 2, fail: errors.New("connection reset by peer"), wantExecs: 3},
		{name: "always empty", failures: 9, wantExecs: 3,
			wantErr: "exec in x/a (npc-r1-0-x/a): the stream ended with no answer from the probe (3 attempts)"},
		{name: "an exit code is not retried", failures: 9, fail: utilexec.CodeExitError{Err: errors.New("exit 2"), Code: 2}, wantExecs: 1,
			wantErr: "exec in x/a (npc-r1-0-x/a): exit 2: probe: something broke"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			k := newFakeCluster(t)
			var mu sync.Mutex
			failed := 0
			exec := &fakeExec{fail: func(req ExecRequest) error {
				mu.Lock()
				defer mu.Unlock()
				if req.Pod != "a" || failed >= tc.failures {
					return nil
				}
				failed++
				if tc.fail == nil {
					return errEmptyStream
				}
				return tc.fail
			}}
			b := newTestBackend(t, k, exec, testOptions())
			c, addrs := setUp(t, b, xyWorld())
			results, err := c.Probe(context.Background(), jobsFor(addrs, [2]string{"x/a", "y/b"}))
			if err != nil {
				t.Fatal(err)
			}
			execs := 0
			for _, call := range exec.sortedCalls() {
				if call.Pod == "a" {
					execs++
				}
			}
			if execs != tc.wantExecs {
				t.Errorf("%d execs from x/a, want %d", execs, tc.wantExecs)
			}
			if tc.wantErr == "" {
				if results[0].Outcome != probes.Allowed {
					t.Errorf("result %+v, want allowed", results[0])
				}
			} else if results[0].Outcome != probes.Error || results[0].Detail != tc.wantErr {
				t.Errorf("result %+v, want error %q", results[0], tc.wantErr)
			}
			if got := b.ExecRetries(); got != int64(min(tc.wantExecs, execAttempts)-1) {
				t.Errorf("ExecRetries() = %d, want %d", got, tc.wantExecs-1)
			}
		})
	}
}

func TestProbeCancelledFails(t *testing.T) {
	k := newFakeCluster(t)
	b := newTestBackend(t, k, &fakeExec{delay: time.Minute}, testOptions())
	c, addrs := setUp(t, b, xyWorld())
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	_, err := c.Probe(ctx, jobsFor(addrs, [2]string{"x/a", "y/b"}))
	if got := errText(err); got != "probe: context deadline exceeded" {
		t.Errorf("Probe error %q, want probe: context deadline exceeded", got)
	}
}

func TestProbeThroughServices(t *testing.T) {
	k := newFakeCluster(t)
	exec := &fakeExec{}
	opts := testOptions()
	opts.Targets = []probes.Target{probes.TargetPod, probes.TargetService}
	b := newTestBackend(t, k, exec, opts)
	c, addrs := setUp(t, b, externalWorld())
	jobs := jobsFor(addrs, [2]string{"x/a", "y/b"}, [2]string{"x/a", "y/b"}, [2]string{"x/a", "outside"})
	jobs[1].Target = probes.TargetService
	jobs[2].Target = probes.TargetService
	results, err := c.Probe(context.Background(), jobs)
	if err != nil {
		t.Fatal(err)
	}
	sent := exec.calls[0].Jobs
	if len(sent) != 2 || sent[0].Host != addrs["y/b"] || sent[1].Host != "10.96.0.11" || sent[1].Expect != "y/b" || sent[1].Target != "" {
		t.Errorf("sent %+v, want y/b's pod IP, then 10.96.0.11 (the Service of y/b), with no target on the wire", sent)
	}
	if results[1].Job.Host != addrs["y/b"] || results[1].Job.Target != probes.TargetService {
		t.Errorf("the result carries %+v, want the runner's own job back", results[1].Job)
	}
	if r := results[2]; r.Outcome != probes.Skipped || r.Detail != "outside is not a pod: only pods have Services" {
		t.Errorf("an external host through a Service: %s (%s), want skipped, saying why", r.Outcome, r.Detail)
	}
}

func TestProbeThroughServicesNeedsTheTarget(t *testing.T) {
	k := newFakeCluster(t)
	exec := &fakeExec{}
	b := newTestBackend(t, k, exec, testOptions())
	c, addrs := setUp(t, b, xyWorld())
	jobs := jobsFor(addrs, [2]string{"x/a", "y/b"})
	jobs[0].Target = probes.TargetService
	results, err := c.Probe(context.Background(), jobs)
	if err != nil {
		t.Fatal(err)
	}
	if r := results[0]; r.Outcome != probes.Skipped || !strings.Contains(r.Detail, "y/b has no Service") || len(exec.calls) != 0 {
		t.Errorf("%s (%s), %d execs; want skipped without a Service, no exec", r.Outcome, r.Detail, len(exec.calls))
	}
}

// externalWorld adds two external hosts to xyWorld.
func externalWorld() *scenarios.World {
	w := xyWorld()
	w.ExternalHosts = []scenarios.ExternalHost{
		{Name: "outside", IP: "198.51.100.10", Ports: []scenarios.Port{{Port: 80, Protocol: scenarios.TCP}}},
		{Name: "elsewhere", IP: "203.0.113.5", Ports: []scenarios.Port{{Port: 80, Protocol: scenarios.TCP}}},
	}
	return w
}

func TestProbeStaticExternalHosts(t *testing.T) {
	k := newFakeCluster(t)
	exec := &fakeExec{}
	opts := testOptions()
	opts.StaticHosts = []StaticHost{{Name: "lab-server", IP: "198.51.100.10"}}
	b := newTestBackend(t, k, exec, opts)
	c, addrs := setUp(t, b, externalWorld())
	addrs["outside"], addrs["elsewhere"] = "198.51.100.10", "203.0.113.5"
	jobs := jobsFor(addrs, [2]string{"x/a", "outside"}, [2]string{"x/a", "elsewhere"}, [2]string{"outside", "x/a"})
	results, err := c.Probe(context.Background(), jobs)
	if err != nil {
		t.Fatal(err)
	}
	want := []probes.Result{
		{Job: jobs[0], Outcome: probes.Allowed, Detail: "answered lab-server"},
		{Job: jobs[1], Outcome: probes.Skipped, Detail: "external host elsewhere: no --external-host at 203.0.113.5"},
		{Job: jobs[2], Outcome: probes.Skipped, Detail: "external host outside cannot send probes on this cluster"},
	}
	if !reflect.DeepEqual(results, want) {
		t.Errorf("results\n%+v\nwant\n%+v", results, want)
	}
	if len(exec.calls) != 1 || len(exec.calls[0].Jobs) != 1 {
		t.Errorf("execs %+v, want one carrying the one job that can run", exec.calls)
	}
}

// recordingHosts is an ExternalHosts provider that can also probe from its hosts.
type recordingHosts struct {
	added, removed [][]string
	probed         []string
	addErr         error
}

func names(hosts []scenarios.ExternalHost) []string {
	var out []string
	for _, h := range hosts {
		out = append(out, h.Name+"@"+h.IP)
	}
	return out
}

func (r *recordingHosts) Add(_ context.Context, hosts []scenarios.ExternalHost) error {
	r.added = append(r.added, names(hosts))
	return r.addErr
}

func (r *recordingHosts) Remove(_ context.Context, hosts []scenarios.ExternalHost) error {
	r.removed = append(r.removed, names(hosts))
	return nil
}

func (r *recordingHosts) ProbeFrom(_ context.Context, host scenarios.ExternalHost, jobs []probes.Job) ([]probes.Result, error) {
	r.probed = append(r.probed, host.Name)
	out := make([]probes.Result, len(jobs))
	for i, j := range jobs {
		out[i] = probes.Result{Job: j, Outcome: probes.Blocked, Detail: "from " + host.Name + "@" + host.IP}
	}
	return out, nil
}

func (r *recordingHosts) ReproduceFrom(host scenarios.ExternalHost, job probes.Job) string {
	return "docker exec " + host.Name + " /probe connect --to " + job.Host
}

func TestProbeWithExternalHostProvider(t *testing.T) {
	k := newFakeCluster(t)
	hosts := &recordingHosts{}
	opts := testOptions()
	opts.ExternalHosts = hosts
	b := newTestBackend(t, k, &fakeExec{}, opts)
	c, addrs := setUp(t, b, externalWorld())
	if want := [][]string{{"outside@198.51.100.10", "elsewhere@203.0.113.5"}}; !reflect.DeepEqual(hosts.added, want) {
		t.Errorf("added %v, want %v", hosts.added, want)
	}
	jobs := jobsFor(addrs, [2]string{"outside", "x/a"}, [2]string{"x/a", "elsewhere"})
	results, err := c.Probe(context.Background(), jobs)
	if err != nil {
		t.Fatal(err)
	}
	if results[0].Outcome != probes.Blocked || results[0].Detail != "from outside@198.51.100.10" || results[1].Outcome != probes.Allowed {
		t.Errorf("results %+v", results)
	}
	if got := c.Reproduce(jobs[0]); got != "docker exec outside /probe connect --to 10.244.0.10" {
		t.Errorf("Reproduce from a host = %q", got)
	}

	// A second cluster with a host on the same address waits for the first.
	other, _ := b.NewCluster(context.Background(), "other")
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	_, err = other.Setup(ctx, externalWorld())
	if got := errText(err); got != "wait for external host address 198.51.100.10: context deadline exceeded" {
		t.Errorf("a second cluster on the same addresses: %q", got)
	}
	if err := c.Teardown(context.Background()); err != nil {
		t.Fatal(err)
	}
	if want := [][]string{{"outside@198.51.100.10", "elsewhere@203.0.113.5"}}; !reflect.DeepEqual(hosts.removed, want) {
		t.Errorf("removed %v, want %v", hosts.removed, want)
	}
	if _, err := other.Setup(context.Background(), externalWorld()); err != nil {
		t.Errorf("after the first cluster's teardown, the second sets up: %v", err)
	}
}

// sharingHosts keeps one host per address, answering as "at-" and the address.
type sharingHosts struct{ recordingHosts }

func (s *sharingHosts) Identity(h scenarios.ExternalHost) string { return "at-" + h.IP }

func TestSharedExternalHostsNeitherWaitNorAnswerWithTheScenarioName(t *testing.T) {
	k := newFakeCluster(t)
	hosts := &sharingHosts{}
	opts := testOptions()
	opts.ExternalHosts = hosts
	exec := &fakeExec{}
	b := newTestBackend(t, k, exec, opts)
	if caps := b.Capabilities(); !caps.ExternalHosts || caps.ExternalHostsExclusive {
		t.Errorf("capabilities %+v, want external hosts that are not exclusive", caps)
	}
	c, addrs := setUp(t, b, externalWorld())
	addrs["outside"] = "198.51.100.10"
	results, err := c.Probe(context.Background(), jobsFor(addrs, [2]string{"x/a", "outside"}))
	if err != nil {
		t.Fatal(err)
	}
	if len(exec.calls) != 1 || exec.calls[0].Jobs[0].Expect != "at-198.51.100.10" {
		t.Errorf("execs %+v, want one expecting the identity of the address", exec.calls)
	}
	if results[0].Job.Expect != "outside" {
		t.Errorf("the result's job expects %q; the runner's own job must come back", results[0].Job.Expect)
	}

	// A second cluster with hosts on the same addresses sets up at once.
	other, _ := b.NewCluster(context.Background(), "other")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if _, err := other.Setup(ctx, externalWorld()); err != nil {
		t.Fatalf("a second cluster on the same addresses: %v", err)
	}
	for _, cl := range []clusters.Cluster{c, other} {
		if err := cl.Teardown(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	if len(hosts.added) != 2 || len(hosts.removed) != 2 {
		t.Errorf("added %v and removed %v, want one Add and one Remove per cluster", hosts.added, hosts.removed)
	}
}

func TestAFailedAddIsNotRemovedAgain(t *testing.T) {
	k := newFakeCluster(t)
	hosts := &sharingHosts{recordingHosts{addErr: errors.New("no docker")}}
	opts := testOptions()
	opts.ExternalHosts = hosts
	b := newTestBackend(t, k, &fakeExec{}, opts)
	c, _ := b.NewCluster(context.Background(), "s")
	if _, err := c.Setup(context.Background(), externalWorld()); err == nil || !strings.Contains(err.Error(), "no docker") {
		t.Fatalf("Setup = %v, want the Add's error", err)
	}
	_ = c.Teardown(context.Background())
	if len(hosts.removed) != 0 {
		t.Errorf("removed %v: a shared provider would count a user that never was", hosts.removed)
	}
}

func TestBatchBound(t *testing.T) {
	jobs := make([]probes.Job, 65)
	jobs[3].Timeout = 2 * time.Second
	if got, want := batchBound(jobs, 32), 3*2*time.Second+execSlack; got != want {
		t.Errorf("batchBound = %s, want %s", got, want)
	}
	if got, want := batchBound(nil, 32), execSlack; got != want {
		t.Errorf("batchBound(no jobs) = %s, want %s", got, want)
	}
}

func TestReproduce(t *testing.T) {
	k := newFakeCluster(t)
	opts := testOptions()
	opts.KubectlArgs = []string{"--kubeconfig", "/tmp/my config", "--context", "kind-npc"}
	b := newTestBackend(t, k, &fakeExec{}, opts)
	c, addrs := setUp(t, b, xyWorld())
	job := jobsFor(addrs, [2]string{"x/a", "y/b"})[0]
	want := "kubectl --kubeconfig '/tmp/my config' --context kind-npc exec -n npc-r1-0-x a -c probe -- " +
		"/probe connect --to 10.244.0.11 --port 80 --protocol TCP --from x/a --expect y/b --timeout 1s"
	if got := c.Reproduce(job); got != want {
		t.Errorf("Reproduce =\n%s\nwant\n%s", got, want)
	}
}

func TestShellQuote(t *testing.T) {
	tests := map[string]string{"x/a": "x/a", "": "''", "a b": "'a b'", "it's": `'it'\''s'`, "$HOME": "'$HOME'"}
	for in, want := range tests {
		if got := shellQuote(in); got != want {
			t.Errorf("shellQuote(%q) = %s, want %s", in, got, want)
		}
	}
}

// placingHosts refuses to emulate the hosts in refused.
type placingHosts struct {
	recordingHosts
	refused map[string]string
}

func (p *placingHosts) Unplaceable(h scenarios.ExternalHost) string { return p.refused[h.IP] }

func TestProbeSkipsHostsTheProviderCannotPlace(t *testing.T) {
	k := newFakeCluster(t)
	hosts := &placingHosts{refused: map[string]string{"203.0.113.5": "203.0.113.5 is inside the pod subnet 203.0.113.0/24"}}
	opts := testOptions()
	opts.ExternalHosts = hosts
	b := newTestBackend(t, k, &fakeExec{}, opts)
	c, addrs := setUp(t, b, externalWorld())
	if want := [][]string{{"outside@198.51.100.10"}}; !reflect.DeepEqual(hosts.added, want) {
		t.Errorf("added %v, want only the placeable host %v", hosts.added, want)
	}
	jobs := jobsFor(addrs, [2]string{"x/a", "elsewhere"}, [2]string{"elsewhere", "x/a"}, [2]string{"outside", "x/a"})
	results, err := c.Probe(context.Background(), jobs)
	if err != nil {
		t.Fatal(err)
	}
	why := "external host elsewhere: 203.0.113.5 is inside the pod subnet 203.0.113.0/24: this cluster cannot emulate it"
	for i, want := range []probes.Result{
		{Job: jobs[0], Outcome: probes.Skipped, Detail: why},
		{Job: jobs[1], Outcome: probes.Skipped, Detail: why},
		{Job: jobs[2], Outcome: probes.Blocked, Detail: "from outside@198.51.100.10"},
	} {
		if !reflect.DeepEqual(results[i], want) {
			t.Errorf("result %d = %+v, want %+v", i, results[i], want)
		}
	}
}

// sessionExec plays probe session, or with refuse an older probe that does
// not know it (exit 2); one-shot batches it answers as fakeExec does.
type sessionExec struct {
	fakeExec
	refuse   bool
	sessions atomic.Int64
}

func (s *sessionExec) Exec(ctx context.Context, req ExecRequest) error {
	if len(req.Command) < 2 || req.Command[1] != "session" {
		return s.fakeExec.Exec(ctx, req)
	}
	s.sessions.Add(1)
	if s.refuse {
		return utilexec.CodeExitError{Err: errors.New("command terminated with exit code 2"), Code: 2}
	}
	enc := json.NewEncoder(req.Stdout)
	lines := bufio.NewScanner(req.Stdin)
	for lines.Scan() {
		var batch struct {
			Seq  int          `json:"seq"`
			Jobs []probes.Job `json:"jobs"`
		}
		if err := json.Unmarshal(lines.Bytes(), &batch); err != nil {
			return err
		}
		results := make([]probes.Result, len(batch.Jobs))
		for i, j := range batch.Jobs {
			results[i] = probes.Result{Job: j, Outcome: probes.Allowed, Detail: "answered " + j.Expect + " in a session"}
		}
		if err := enc.Encode(map[string]any{"seq": batch.Seq, "results": results}); err != nil {
			return err
		}
	}
	return nil
}

func TestProbeSessionsCarryEveryRoundInOneExec(t *testing.T) {
	for _, refuse := range []bool{false, true} {
		k := newFakeCluster(t)
		exec := &sessionExec{refuse: refuse}
		opts := testOptions()
		opts.Sessions = true
		b := newTestBackend(t, k, exec, opts)
		c, addrs := setUp(t, b, xyWorld())
		jobs := jobsFor(addrs, [2]string{"x/a", "y/b"}, [2]string{"x/a", "x/a"})
		for round := range 3 {
			results, err := c.Probe(context.Background(), jobs)
			if err != nil {
				t.Fatal(err)
			}
			for i, r := range results {
				if r.Outcome != probes.Allowed || !reflect.DeepEqual(r.Job, jobs[i]) {
					t.Errorf("refuse %v, round %d, result %d = %+v", refuse, round, i, r)
				}
				if inSession := strings.HasSuffix(r.Detail, "in a session"); inSession == refuse {
					t.Errorf("refuse %v, round %d: detail %q", refuse, round, r.Detail)
				}
			}
		}
		// One session for the three rounds; a probe without sessions is
		// asked once, then every round is one exec.
		wantSessions, wantBatches := int64(1), 0
		if refuse {
			wantBatches = 3
		}
		if exec.sessions.Load() != wantSessions || len(exec.calls) != wantBatches {
			t.Errorf("refuse %v: %d sessions, %d one-shot execs; want %d, %d", refuse, exec.sessions.Load(), len(exec.calls), wantSessions, wantBatches)
		}
		if err := c.Teardown(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
}
