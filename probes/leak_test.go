package probes

import (
	"context"
	"errors"
	"os"
	"testing"
	"time"
)

// openFiles counts this process's file descriptors.
func openFiles(t *testing.T) int {
	t.Helper()
	entries, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatalf("list open files: %v", err)
	}
	return len(entries)
}

// waitOpenFiles waits for the count of open files to come back to want:
// servers close their side of answered connections a moment after the client
// has its answer.
func waitOpenFiles(t *testing.T, want int) {
	t.Helper()
	deadline := time.Now().Add(3 * time.Second)
	for {
		got := openFiles(t)
		if got <= want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d files open after the batch, %d before: sockets leaked", got, want)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestRunBatchInClosesEverySocket runs batches through every way a probe can
// end, a failed enter after the sockets were made among them, and checks
// that no file descriptor outlives them.
func TestRunBatchInClosesEverySocket(t *testing.T) {
	ports := serveLoopback(t, "x/srv", TCP, UDP)
	closed := closedPort(t)
	dropped, unanswered, silent := fullBacklog(t), neverAccepted(t), silentUDP(t)
	const timeout = 150 * time.Millisecond
	probe := func(from string, port int32, protocol string) Job {
		return Job{From: from, Host: "127.0.0.1", Port: port, Protocol: protocol, Timeout: timeout}
	}
	var jobs []Job
	for _, from := range []string{"x/ok", "x/late", "x/fail", "x/skip"} {
		jobs = append(jobs,
			probe(from, ports[0], TCP), probe(from, ports[1], UDP),
			probe(from, closed, TCP), probe(from, closed, UDP),
			probe(from, dropped, TCP), probe(from, unanswered, TCP), probe(from, silent, UDP),
			probe(from, 0, UDP), probe(from, 9, SCTP))
	}
	rec := &enterRecorder{
		failLate: map[string]error{"x/late": errors.New("restore netns: invalid argument")},
		fail:     map[string]error{"x/fail": errors.New("enter netns: invalid argument")},
		skip:     map[string]bool{"x/skip": true},
	}
	batches := []struct {
		name        string
		concurrency int
		ctxTimeout  time.Duration
	}{
		{"all at once", 100, time.Minute},
		{"in waves", 3, time.Minute},
		{"cancelled midway", 4, timeout / 2},
	}
	// A first batch makes whatever the runtime opens once for good.
	_ = RunBatchIn(context.Background(), jobs, len(jobs), rec.enter, nil)
	waitOpenFiles(t, openFiles(t))
	before := openFiles(t)
	for _, b := range batches {
		t.Run(b.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), b.ctxTimeout)
			defer cancel()
			results := RunBatchIn(ctx, jobs, b.concurrency, rec.enter, nil)
			if results[0].Outcome != Allowed && b.ctxTimeout == time.Minute {
				t.Errorf("first job = %s, %q; want allowed", results[0].Outcome, results[0].Detail)
			}
			waitOpenFiles(t, before)
		})
	}
	t.Run("started, never finished", func(t *testing.T) {
		for _, job := range jobs[:7] {
			s := Start(context.Background(), job)
			if err := s.Close(); err != nil {
				t.Errorf("Close %+v: %v", job, err)
			}
		}
		waitOpenFiles(t, before)
	})
}
