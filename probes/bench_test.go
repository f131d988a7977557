package probes

import (
	"context"
	"fmt"
	"testing"
	"time"
)

// BenchmarkRunBatchAllowed probes every cell of a 9-pod × 2-port step, 81
// sources × targets × (TCP, UDP) = 162 jobs, against 9 loopback servers, all
// allowed. concurrency=1 is the baseline the batch speed-up is measured by.
func BenchmarkRunBatchAllowed(b *testing.B) {
	const pods = 9
	type pod struct {
		name, host string
		ports      []int32
	}
	all := make([]pod, pods)
	for i := range all {
		name := fmt.Sprintf("x/p%d", i)
		all[i] = pod{name: name, host: fmt.Sprintf("127.0.0.%d", 10+i), ports: serveLoopback(b, name, TCP, UDP)}
	}
	var jobs []Job
	for _, from := range all {
		for _, to := range all {
			for i, protocol := range []string{TCP, UDP} {
				jobs = append(jobs, Job{From: from.name, To: to.name, Host: to.host, Port: to.ports[i], Protocol: protocol, Expect: to.name})
			}
		}
	}
	for _, concurrency := range []int{1, 8, DefaultConcurrency} {
		b.Run(fmt.Sprintf("concurrency=%d", concurrency), func(b *testing.B) {
			start := time.Now()
			for b.Loop() {
				for _, r := range RunBatch(context.Background(), jobs, concurrency, nil) {
					if r.Outcome != Allowed {
						b.Fatalf("%s -> %s %s: %s, %q", r.Job.From, r.Job.To, r.Job.Protocol, r.Outcome, r.Detail)
					}
				}
			}
			b.ReportMetric(float64(b.N*len(jobs))/time.Since(start).Seconds(), "probes/s")
		})
	}
}

// BenchmarkRunBatchBlocked is the case concurrency is for: 162 probes that
// all wait out a 20ms timeout against silent UDP sockets, so a batch's time is
// about (jobs / concurrency) × timeout.
func BenchmarkRunBatchBlocked(b *testing.B) {
	const pods = 9
	silent := make([]int32, pods)
	for i := range silent {
		silent[i] = silentUDP(b)
	}
	var jobs []Job
	for range pods {
		for i := range pods {
			for range 2 {
				jobs = append(jobs, Job{Host: "127.0.0.1", Port: silent[i], Protocol: UDP, Timeout: 20 * time.Millisecond})
			}
		}
	}
	for _, concurrency := range []int{1, DefaultConcurrency} {
		b.Run(fmt.Sprintf("concurrency=%d", concurrency), func(b *testing.B) {
			start := time.Now()
			for b.Loop() {
				for _, r := range RunBatch(context.Background(), jobs, concurrency, nil) {
					if r.Outcome != Blocked || r.Detail != "reply: no answer within 20ms" {
						b.Fatalf("%s:%d: %s, %q", r.Job.Host, r.Job.Port, r.Outcome, r.Detail)
					}
				}
			}
			b.ReportMetric(float64(b.N*len(jobs))/time.Since(start).Seconds(), "probes/s")
		})
	}
}
