package probes

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"
)

// enterRecorder is a fake enter that runs start on the calling goroutine,
// records the sources entered, and fails or skips start for some of them.
type enterRecorder struct {
	mu       sync.Mutex
	entered  []string
	fail     map[string]error // enter fails before start
	failLate map[string]error // start runs, then enter fails, as a failed restore would
	skip     map[string]bool  // enter returns nil without running start
}

func (e *enterRecorder) enter(from string, start func()) error {
	e.mu.Lock()
	e.entered = append(e.entered, from)
	e.mu.Unlock()
	if err := e.fail[from]; err != nil {
		return err
	}
	if e.skip[from] {
		return nil
	}
	start()
	return e.failLate[from]
}

func TestRunBatchIn(t *testing.T) {
	ports := serveLoopback(t, "x/srv", TCP, UDP)
	tcp, udp := ports[0], ports[1]
	closed := closedPort(t)
	probe := func(from string, port int32, protocol string) Job {
		return Job{From: from, To: "x/srv", Host: "127.0.0.1", Port: port, Protocol: protocol, Expect: "x/srv", Timeout: 200 * time.Millisecond}
	}
	type want struct {
		outcome Outcome
		detail  string
	}
	allowed := want{Allowed, "answered x/srv"}
	tests := []struct {
		name        string
		jobs        []Job
		recorder    *enterRecorder
		want        []want
		wantEntered []string
	}{
		{
			name:        "one hop per source, results in job order",
			jobs:        []Job{probe("x/a", tcp, TCP), probe("x/b", udp, UDP), probe("x/a", udp, UDP), probe("x/b", tcp, TCP)},
			want:        []want{allowed, allowed, allowed, allowed},
			wantEntered: []string{"x/a", "x/b"},
		},
		{
			name: "refused and bad jobs classify as with Run",
			jobs: []Job{probe("x/a", closed, TCP), probe("x/a", closed, UDP), {From: "x/a", Host: "db", Port: 80}},
			want: []want{
				{Blocked, "connect: refused: connection refused"},
				{Blocked, "reply: refused: connection refused"},
				{Error, `bad job: host "db" is not an IP address`},
			},
			wantEntered: []string{"x/a"},
		},
		{
			name:     "a failed enter fails its source only",
			jobs:     []Job{probe("x/a", tcp, TCP), probe("x/b", tcp, TCP), probe("x/a", udp, UDP)},
			recorder: &enterRecorder{fail: map[string]error{"x/a": errors.New("enter netns: bad file descriptor")}},
			want: []want{
				{Error, "source x/a: enter netns: bad file descriptor"},
				allowed,
				{Error, "source x/a: enter netns: bad file descriptor"},
			},
			wantEntered: []string{"x/a", "x/b"},
		},
		{
			name:     "an enter that fails after starting",
			jobs:     []Job{probe("x/a", tcp, TCP), probe("x/a", udp, UDP)},
			recorder: &enterRecorder{failLate: map[string]error{"x/a": errors.New("restore netns: invalid argument")}},
			want: []want{
				{Error, "source x/a: restore netns: invalid argument"},
				{Error, "source x/a: restore netns: invalid argument"},
			},
			wantEntered: []string{"x/a"},
		},
		{
			name:        "an enter that never starts",
			jobs:        []Job{probe("x/a", tcp, TCP)},
			recorder:    &enterRecorder{skip: map[string]bool{"x/a": true}},
			want:        []want{{Error, "source x/a: entered without starting the probes"}},
			wantEntered: []string{"x/a"},
		},
		{
			name:        "no jobs",
			want:        []want{},
			wantEntered: nil,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.recorder == nil {
				tt.recorder = &enterRecorder{}
			}
			got := RunBatchIn(context.Background(), tt.jobs, 8, tt.recorder.enter, nil)
			if got == nil || len(got) != len(tt.want) {
				t.Fatalf("got %d results (%#v), want %d", len(got), got, len(tt.want))
			}
			for i, r := range got {
				if r.Job != tt.jobs[i] || r.Outcome != tt.want[i].outcome || r.Detail != tt.want[i].detail {
					t.Errorf("result %d = %s, %q for %+v; want %s, %q", i, r.Outcome, r.Detail, r.Job, tt.want[i].outcome, tt.want[i].detail)
				}
			}
			if !slices.Equal(tt.recorder.entered, tt.wantEntered) {
				t.Errorf("entered %v, want %v", tt.recorder.entered, tt.wantEntered)
			}
		})
	}
}

// TestRunBatchInBoundsProbesInFlight runs blocked probes of one source: with
// room for all of them, one hop starts them together and the batch takes one
// timeout; with room for two, it needs a hop per wave, and at least three
// timeouts for six probes.
func TestRunBatchInBoundsProbesInFlight(t *testing.T) {
	const timeout = 100 * time.Millisecond
	port := silentUDP(t)
	jobs := make([]Job, 6)
	for i := range jobs {
		jobs[i] = Job{From: "x/a", Host: "127.0.0.1", Port: port, Protocol: UDP, Timeout: timeout}
	}
	tests := []struct {
		concurrency int
		minEntered  int
		maxEntered  int
		minTook     time.Duration
		maxTook     time.Duration
	}{
		// Less than 6 timeouts shows the probes waited together.
		{concurrency: 6, minEntered: 1, maxEntered: 1, minTook: timeout, maxTook: 5 * timeout},
		{concurrency: 100, minEntered: 1, maxEntered: 1, minTook: timeout, maxTook: 5 * timeout},
		{concurrency: 2, minEntered: 3, maxEntered: 6, minTook: 3 * timeout, maxTook: 10 * timeout},
		{concurrency: 0, minEntered: 6, maxEntered: 6, minTook: 6 * timeout, maxTook: 20 * timeout},
	}
	for _, tt := range tests {
		rec := &enterRecorder{}
		start := time.Now()
		got := RunBatchIn(context.Background(), jobs, tt.concurrency, rec.enter, nil)
		took := time.Since(start)
		for i, r := range got {
			if r.Outcome != Blocked || r.Detail != "reply: no answer within 100ms" {
				t.Errorf("concurrency %d: result %d = %s, %q; want blocked", tt.concurrency, i, r.Outcome, r.Detail)
			}
		}
		if n := len(rec.entered); n < tt.minEntered || n > tt.maxEntered {
			t.Errorf("concurrency %d: entered %d times, want %d to %d", tt.concurrency, n, tt.minEntered, tt.maxEntered)
		}
		if took < tt.minTook || took > tt.maxTook {
			t.Errorf("concurrency %d: batch took %s, want %s to %s", tt.concurrency, took, tt.minTook, tt.maxTook)
		}
	}
}

func TestRunBatchInCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	jobs := []Job{{From: "x/a", Host: "127.0.0.1", Port: 80}, {From: "x/b", Host: "db", Port: 80}}
	rec := &enterRecorder{}
	got := RunBatchIn(ctx, jobs, 4, rec.enter, nil)
	want := []string{"interrupted before starting: context canceled", `bad job: host "db" is not an IP address`}
	for i, r := range got {
		if r.Job != jobs[i] || r.Outcome != Error || r.Detail != want[i] {
			t.Errorf("result %d = %s, %q; want error, %q", i, r.Outcome, r.Detail, want[i])
		}
	}
	if len(rec.entered) != 0 {
		t.Errorf("entered %v after the context was cancelled, want no namespace entered", rec.entered)
	}
}

// TestRunBatchInCancelledWhileWaiting cancels a batch whose probes wait on
// silent sockets and whose last source waits for a free slot: the batch must
// end with the context, the waiting probes interrupted and the unstarted
// ones never entered.
func TestRunBatchInCancelledWhileWaiting(t *testing.T) {
	port := silentUDP(t)
	jobs := []Job{
		{From: "x/a", Host: "127.0.0.1", Port: port, Protocol: UDP, Timeout: 5 * time.Second},
		{From: "x/b", Host: "127.0.0.1", Port: port, Protocol: UDP, Timeout: 5 * time.Second},
	}
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	rec := &enterRecorder{}
	start := time.Now()
	got := RunBatchIn(ctx, jobs, 1, rec.enter, nil)
	if took := time.Since(start); took > time.Second {
		t.Errorf("batch took %s, want it to end with its context", took)
	}
	want := []string{"reply: interrupted: context deadline exceeded", "interrupted before starting: context deadline exceeded"}
	for i, r := range got {
		if r.Outcome != Error || r.Detail != want[i] {
			t.Errorf("result %d = %s, %q; want error, %q", i, r.Outcome, r.Detail, want[i])
		}
	}
	if !slices.Equal(rec.entered, []string{"x/a"}) {
		t.Errorf("entered %v, want only x/a", rec.entered)
	}
}
