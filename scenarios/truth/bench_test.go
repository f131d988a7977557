package truth

import (
	"testing"

	"github.com/netpolcheck/netpolcheck/scenarios"
)

// The benchmark world of the issue: 1,000 pods in 20 namespaces, 500
// policies, 4 ports per pod, about 4 million cells.
const (
	benchClusterPolicies = 50 // added by BenchmarkComputeClusterPolicies
	benchPods            = 1000
	benchNamespaces      = 20
	benchPolicies        = 500
	benchSample          = 4000 // cells the per-cell baseline evaluates per iteration
)

func BenchmarkCompute(b *testing.B) {
	w := GenerateWorld(1, benchPods, benchNamespaces, benchPolicies)
	cells := 0
	for range Compute(w).Cells() {
		cells++
	}
	runs := 0
	for b.Loop() {
		Compute(w)
		runs++
	}
	b.ReportMetric(float64(cells), "cells/op")
	b.ReportMetric(float64(cells)*float64(runs)/b.Elapsed().Seconds(), "cells/s")
}

// sampledCell is a cell of the benchmark world resolved the way Explain
// resolves names, so the baseline measures evaluation and not name lookups.
type sampledCell struct {
	src, dst cellEnd
	target   Target
}

// sampleCells picks benchSample cells spread evenly over the whole table.
func sampleCells(table *TruthTable) []sampledCell {
	total := 0
	for range table.Cells() {
		total++
	}
	stride := max(total/benchSample, 1)
	end := func(i int) cellEnd {
		e := table.Endpoints[i]
		return cellEnd{id: e.ID, pod: e.Pod, addr: parseAddr(e.IP)}
	}
	var sample []sampledCell
	i := 0
	for c := range table.Cells() {
		if i%stride == 0 && len(sample) < benchSample {
			tg := table.Targets[c.Target]
			sample = append(sample, sampledCell{src: end(c.Source), dst: end(tg.Endpoint), target: tg})
		}
		i++
	}
	return sample
}

// BenchmarkExplainCell is the naive baseline: one policy walk per cell.
func BenchmarkExplainCell(b *testing.B) {
	w := GenerateWorld(1, benchPods, benchNamespaces, benchPolicies)
	sample := sampleCells(Compute(w))
	runs := 0
	for b.Loop() {
		for _, c := range sample {
			NewExplainer(w).explainCell(c.src, c.dst, c.target.Port)
		}
		runs++
	}
	b.ReportMetric(float64(len(sample)*runs)/b.Elapsed().Seconds(), "cells/s")
}

// BenchmarkExplain is the public Explain path, name lookups included.
func BenchmarkExplain(b *testing.B) {
	w := GenerateWorld(1, benchPods, benchNamespaces, benchPolicies)
	sample := sampleCells(Compute(w))
	runs := 0
	for b.Loop() {
		for _, c := range sample {
			if _, err := Explain(w, c.src.id, c.dst.id, c.target.Port.Port, c.target.Port.Protocol); err != nil {
				b.Fatal(err)
			}
		}
		runs++
	}
	b.ReportMetric(float64(len(sample)*runs)/b.Elapsed().Seconds(), "cells/s")
}

// BenchmarkComputeClusterPolicies measures what ClusterNetworkPolicies add
// to Compute: the benchmark world with 50 of them, against the same world
// without them, measured in one run (make bench records the ratio).
func BenchmarkComputeClusterPolicies(b *testing.B) {
	with := GenerateWorldWithClusterPolicies(1, benchPods, benchNamespaces, benchPolicies, benchClusterPolicies)
	without := *with
	without.ClusterPolicies = nil
	for _, tc := range []struct {
		name string
		w    *scenarios.World
	}{{"without", &without}, {"with-50", with}} {
		b.Run(tc.name, func(b *testing.B) {
			for b.Loop() {
				Compute(tc.w)
			}
		})
	}
}
