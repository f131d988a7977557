package local

import (
	"context"
	"testing"

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
