package generate

import "testing"

// BenchmarkCases times each profile with pruning (what Cases does) and
// without it (the same selection and validation, no truth table): the ratio
// is the price of pruning recorded in docs/benchmarks.md.
func BenchmarkCases(b *testing.B) {
	for _, p := range Profiles() {
		b.Run(string(p)+"/pruned", func(b *testing.B) {
			for b.Loop() {
				if _, err := Cases(p); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(string(p)+"/unpruned", func(b *testing.B) {
			for b.Loop() {
				picked, err := selection(p, false)
				if err != nil {
					b.Fatal(err)
				}
				if _, err := materialize(picked); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
