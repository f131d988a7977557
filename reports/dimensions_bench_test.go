package reports

import (
	"fmt"
	"testing"
)

// fullProfileLike is a run shaped like the full generated profile: 7,944
// cases with one tag per dimension (3·3·8·4·5·3·5 values), two steps each,
// cells omitted as in a large run, one case in 50 failing.
func fullProfileLike() *Results {
	dims := []struct {
		name string
		n    int
	}{{"direction", 3}, {"target", 3}, {"peer", 8}, {"namespace", 4}, {"port", 5}, {"protocol", 3}, {"step", 5}}
	protocols := []string{"tcp", "udp", "sctp"}
	r := &Results{Mode: "run"}
	for i := range 7944 {
		sc := ScenarioResult{Name: fmt.Sprintf("gen-%d", i), Status: Pass}
		k := i
		for _, d := range dims {
			value := fmt.Sprintf("v%d", k%d.n)
			if d.name == "protocol" {
				value = protocols[k%d.n]
			}
			sc.Tags = append(sc.Tags, d.name+"="+value)
			k /= d.n
		}
		if i%50 == 0 {
			sc.Status = Fail
		}
		for s := range 2 {
			sc.Steps = append(sc.Steps, StepResult{Name: fmt.Sprint(s), Status: sc.Status, CellsOmitted: true, CellCount: 234,
				ProtocolCells: map[string]Tally{"TCP": {Passed: 78}, "UDP": {Passed: 78}, "SCTP": {Skipped: 78}}})
		}
		r.Scenarios = append(r.Scenarios, sc)
	}
	return r
}

// BenchmarkDimensions groups a full-profile-sized run by dimension;
// BenchmarkSummarize, the count every report makes, is its baseline.
func BenchmarkDimensions(b *testing.B) {
	r := fullProfileLike()
	b.ReportAllocs()
	for b.Loop() {
		if Dimensions(r) == nil {
			b.Fatal("no table")
		}
	}
}

func BenchmarkSummarize(b *testing.B) {
	r := fullProfileLike()
	b.ReportAllocs()
	for b.Loop() {
		if r.Summarize().Scenarios.Total() == 0 {
			b.Fatal("nothing counted")
		}
	}
}
