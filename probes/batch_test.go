package probes

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"
)

// gate is a fake run that holds every job until released and records how many
// were in flight at most.
type gate struct {
	mu       sync.Mutex
	inFlight int
	max      int
	release  chan struct{}
}

func (g *gate) run(_ context.Context, job Job) Result {
	g.mu.Lock()
	g.inFlight++
	g.max = max(g.max, g.inFlight)
	g.mu.Unlock()
	<-g.release
	g.mu.Lock()
	g.inFlight--
	g.mu.Unlock()
	return Result{Job: job, Outcome: Allowed, Detail: "ran " + job.To}
}

func (g *gate) current() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.inFlight
}

func TestRunBatchBoundsConcurrencyAndKeepsOrder(t *testing.T) {
	const jobCount = 20
	tests := []struct {
		concurrency int
		wantMax     int
	}{
		{concurrency: 1, wantMax: 1},
		{concurrency: 3, wantMax: 3},
		{concurrency: 0, wantMax: 1},
		{concurrency: -4, wantMax: 1},
		{concurrency: 100, wantMax: jobCount},
	}
	jobs := make([]Job, jobCount)
	for i := range jobs {
		jobs[i] = Job{To: fmt.Sprintf("x/p%02d", i)}
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.concurrency), func(t *testing.T) {
			g := &gate{release: make(chan struct{})}
			done := make(chan []Result)
			go func() { done <- RunBatch(context.Background(), jobs, tt.concurrency, g.run) }()
			// Wait until the batch has filled its slots, give it time to
			// overstep them, then let everything through.
			for deadline := time.Now().Add(5 * time.Second); g.current() < tt.wantMax; {
				if time.Now().After(deadline) {
					t.Fatalf("only %d jobs in flight, want %d", g.current(), tt.wantMax)
				}
				time.Sleep(time.Millisecond)
			}
			time.Sleep(20 * time.Millisecond)
			close(g.release)
			results := <-done
			if g.max != tt.wantMax {
				t.Errorf("at most %d jobs in flight, want %d", g.max, tt.wantMax)
			}
			if len(results) != jobCount {
				t.Fatalf("got %d results, want %d", len(results), jobCount)
			}
			for i, r := range results {
				if r.Job != jobs[i] || r.Detail != "ran "+jobs[i].To {
					t.Errorf("result %d = %+v, want the result of job %+v", i, r, jobs[i])
				}
			}
		})
	}
}

func TestRunBatchDefaultsToRun(t *testing.T) {
	jobs := []Job{{Host: "nowhere", Port: 80}, {Host: "127.0.0.1", Port: 0}}
	got := RunBatch(context.Background(), jobs, 4, nil)
	want := []string{`bad job: host "nowhere" is not an IP address`, "bad job: port must be 1-65535, not 0"}
	for i := range want {
		if got[i].Outcome != Error || got[i].Detail != want[i] || got[i].Job != jobs[i] {
			t.Errorf("result %d = %+v, want error %q", i, got[i], want[i])
		}
	}
}

func TestRunBatchCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	got := RunBatch(ctx, []Job{{Host: "127.0.0.1", Port: 80}, {Host: "127.0.0.1", Port: 81}}, 1, nil)
	for i, r := range got {
		if r.Outcome != Error || r.Detail != "interrupted before starting: context canceled" {
			t.Errorf("result %d = %s, %q; want error, interrupted", i, r.Outcome, r.Detail)
		}
	}
}

func TestRunBatchEmpty(t *testing.T) {
	got := RunBatch(context.Background(), nil, 8, nil)
	if got == nil || len(got) != 0 {
		t.Errorf("RunBatch(nil) = %#v, want an empty, non-nil slice", got)
	}
}
