package local

import (
	"context"
	"fmt"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/netpolcheck/netpolcheck/probes"
	"github.com/netpolcheck/netpolcheck/scenarios"
)

// benchmarkProbeStep probes every cell of a 3×3 cluster's step (9 sources ×
// 9 destinations × the test ports) with at most `concurrency` probes in
// flight, and reports probes per second. Every cell is allowed: there is no enforcer.
func benchmarkProbeStep(b *testing.B, concurrency int) {
	needRoot(b)
	be := newTestBackend(b, Options{Concurrency: concurrency})
	w := testWorld([]string{"x", "y", "z"}, 3, 0)
	c := setUp(b, be, w)
	var jobs []probes.Job
	for _, src := range w.Pods {
		for _, dst := range w.Pods {
			for _, p := range dst.Ports {
				if p.Protocol == scenarios.SCTP {
					continue // the 2-port step of the issue: 80/TCP and 81/UDP
				}
				jobs = append(jobs, job(src.ID(), dst.ID(), dst.IP, p.Port, p.Protocol))
			}
		}
	}
	ctx := context.Background()
	b.ResetTimer()
	for b.Loop() {
		results, err := c.Probe(ctx, jobs)
		if err != nil {
			b.Fatal(err)
		}
		if bad := notOutcome(results, probes.Allowed); len(bad) > 0 {
			b.Fatalf("not allowed: %v", bad)
		}
	}
	b.ReportMetric(float64(len(jobs)*b.N)/b.Elapsed().Seconds(), "probes/s")
	b.ReportMetric(float64(len(jobs)), "cells")
}

// BenchmarkProbeStepSequential is the baseline: one probe at a time.
func BenchmarkProbeStepSequential(b *testing.B) { benchmarkProbeStep(b, 1) }

// BenchmarkProbeStepConcurrent is the runner's default concurrency.
func BenchmarkProbeStepConcurrent(b *testing.B) { benchmarkProbeStep(b, DefaultConcurrency) }

// BenchmarkProbeStepBlocked is the step that decides a profile's length: 9
// pods × 9 destinations × 2 ports × TCP and UDP, 324 cells, with the node
// dropping every forwarded packet, so that only the 36 cells of a pod to
// itself are allowed and the other 288 wait out the probe timeout. It
// compares probing with a locked thread held in the source's namespace per
// probe (the way before Start and Finish) with starting each source's
// probes in one namespace hop and waiting outside, and reports the CPU time
// a step costs beside its wall time.
func BenchmarkProbeStepBlocked(b *testing.B) {
	needRoot(b)
	needDropTools(b)
	be := newTestBackend(b, Options{})
	w := testWorld([]string{"x", "y", "z"}, 3, 0)
	ports := []scenarios.Port{
		{Name: "t80", Port: 80, Protocol: scenarios.TCP}, {Name: "t81", Port: 81, Protocol: scenarios.TCP},
		{Name: "u80", Port: 80, Protocol: scenarios.UDP}, {Name: "u81", Port: 81, Protocol: scenarios.UDP},
	}
	for i := range w.Pods {
		w.Pods[i].Ports = ports
	}
	c := setUp(b, be, w)
	dropForwarded(b, c.node.Path)
	var jobs []probes.Job
	for _, src := range w.Pods {
		for _, dst := range w.Pods {
			for _, p := range ports {
				j := job(src.ID(), dst.ID(), dst.IP, p.Port, p.Protocol)
				j.Timeout = DefaultProbeTimeout
				jobs = append(jobs, j)
			}
		}
	}
	ways := []struct {
		name        string
		concurrency int
		probe       func(ctx context.Context, jobs []probes.Job, concurrency int) []probes.Result
	}{
		{"held-thread/concurrency=32", 32, c.probeHeldThread},
		{fmt.Sprintf("held-thread/concurrency=%d", DefaultConcurrency), DefaultConcurrency, c.probeHeldThread},
		{"start-in-netns/concurrency=32", 32, c.probeStartInNetns},
		{fmt.Sprintf("start-in-netns/concurrency=%d", DefaultConcurrency), DefaultConcurrency, c.probeStartInNetns},
	}
	for _, way := range ways {
		b.Run(way.name, func(b *testing.B) {
			ctx := context.Background()
			cpuBefore := cpuTime(b)
			for b.Loop() {
				results := way.probe(ctx, jobs, way.concurrency)
				for i, r := range results {
					want := probes.Blocked
					if r.Job.From == r.Job.To {
						want = probes.Allowed
					}
					if r.Outcome != want {
						b.Fatalf("job %d %s -> %s %d/%s: %s, %q; want %s", i, r.Job.From, r.Job.To, r.Job.Port, r.Job.Protocol, r.Outcome, r.Detail, want)
					}
				}
			}
			b.ReportMetric(float64((cpuTime(b)-cpuBefore).Milliseconds())/float64(b.N), "cpu-ms/op")
			b.ReportMetric(float64(len(jobs)), "cells")
		})
	}
}

// probeHeldThread is the way probes ran before the split: each job on a
// thread locked inside its source's namespace for the whole exchange.
func (c *Cluster) probeHeldThread(ctx context.Context, jobs []probes.Job, concurrency int) []probes.Result {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return probes.RunBatch(ctx, jobs, concurrency, func(ctx context.Context, job probes.Job) probes.Result {
		var r probes.Result
		if err := inNetns(c.endpoints[job.From].ns, func() error {
			r = probes.Run(ctx, job)
			return nil
		}); err != nil {
			return probes.Result{Job: job, Outcome: probes.Error, Detail: err.Error()}
		}
		return r
	})
}

// probeStartInNetns is Probe with the concurrency given, for comparison.
func (c *Cluster) probeStartInNetns(ctx context.Context, jobs []probes.Job, concurrency int) []probes.Result {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return probes.RunBatchIn(ctx, jobs, concurrency, c.enterSource, nil)
}

// cpuTime is the user and system time this process has used so far.
func cpuTime(b *testing.B) time.Duration {
	b.Helper()
	var ru unix.Rusage
	if err := unix.Getrusage(unix.RUSAGE_SELF, &ru); err != nil {
		b.Fatalf("getrusage: %v", err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
