package kube

import (
	"context"
	"fmt"
	"testing"

	"github.com/netpolcheck/netpolcheck/probes"
	"github.com/netpolcheck/netpolcheck/scenarios"
)

// BenchmarkProbeStep measures the backend's own cost of one step of the
// upstream x/y/z model (9 pods, 80/TCP and 81/UDP: 162 cells) against the
// fake cluster and executor: grouping, encoding, one exec per source pod,
// decoding. execs/op is the number of exec calls a step costs.
func BenchmarkProbeStep(b *testing.B) {
	k := newFakeCluster(b)
	be := newTestBackend(b, k, &fakeExec{}, testOptions())
	w := &scenarios.World{}
	ports := []scenarios.Port{{Port: 80, Protocol: scenarios.TCP}, {Port: 81, Protocol: scenarios.UDP}}
	for _, ns := range []string{"x", "y", "z"} {
		w.Namespaces = append(w.Namespaces, scenarios.Namespace{Name: ns})
		for _, p := range []string{"a", "b", "c"} {
			w.Pods = append(w.Pods, scenarios.Pod{Namespace: ns, Name: p, Ports: ports})
		}
	}
	c, addrs := setUp(b, be, w)
	var jobs []probes.Job
	for _, from := range w.Pods {
		for _, to := range w.Pods {
			for _, port := range ports {
				jobs = append(jobs, probes.Job{From: from.ID(), To: to.ID(), Host: addrs[to.ID()], Port: port.Port, Protocol: string(port.Protocol), Expect: to.ID()})
			}
		}
	}
	before := be.ExecCalls()
	b.ResetTimer()
	for b.Loop() {
		results, err := c.Probe(context.Background(), jobs)
		if err != nil || len(results) != len(jobs) {
			b.Fatal(fmt.Errorf("%d results: %w", len(results), err))
		}
	}
	b.ReportMetric(float64(be.ExecCalls()-before)/float64(b.N), "execs/op")
}
