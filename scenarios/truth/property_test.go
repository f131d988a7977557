package truth

import (
	"math/rand/v2"
	"testing"

	"github.com/netpolcheck/netpolcheck/scenarios"
)

// checkAgreement asserts that Compute and Explain give the same verdict for
// every cell of w, and that Lookup finds each cell where Cells puts it.
func checkAgreement(t *testing.T, w *scenarios.World) {
	t.Helper()
	table := Compute(w)
	mismatches := 0
	for c := range table.Cells() {
		src, tg := table.Endpoints[c.Source], table.Targets[c.Target]
		dst := table.Endpoints[tg.Endpoint]
		e, err := Explain(w, src.ID, dst.ID, tg.Port.Port, tg.Port.Protocol)
		if err != nil {
			t.Fatalf("Explain(%s, %s, %s): %v", src.ID, dst.ID, tg.Port, err)
		}
		if e.Allowed != c.Allowed || e.Loopback != c.Loopback || e.Undefined != c.Undefined {
			mismatches++
			if mismatches <= 5 {
				t.Errorf("%s -> %s %s: Compute allowed=%v loopback=%v undefined=%v, Explain %s", src.ID, dst.ID, tg.Port, c.Allowed, c.Loopback, c.Undefined, e)
			}
		}
		if allowed, ok := table.Lookup(src.ID, dst.ID, tg.Port.Port, tg.Port.Protocol); !ok || allowed != c.Allowed {
			t.Fatalf("Lookup(%s, %s, %s) = (%v, %v), Cells says %v", src.ID, dst.ID, tg.Port, allowed, ok, c.Allowed)
		}
	}
	if mismatches > 0 {
		t.Errorf("%d cells disagree", mismatches)
	}
}

func TestComputeAgreesWithExplain(t *testing.T) {
	worlds := 300
	if testing.Short() {
		worlds = 50
	}
	for seed := range int64(worlds) {
		pods, namespaces, policies := 2+int(seed%11), 1+int(seed%4), int(seed%13)
		checkAgreement(t, GenerateWorld(seed, pods, namespaces, policies))
		if t.Failed() {
			t.Fatalf("world GenerateWorld(%d, %d, %d, %d) disagrees", seed, pods, namespaces, policies)
		}
	}
}

// TestComputeAgreesWithExplainOnInvalidInput uses the generator's wild mode:
// inputs the API server would reject must still get one shared meaning.
func TestComputeAgreesWithExplainOnInvalidInput(t *testing.T) {
	worlds := 300
	if testing.Short() {
		worlds = 50
	}
	for seed := range uint64(worlds) {
		r := rand.New(rand.NewPCG(seed, 7))
		g := worldGenerator{pick: r.IntN, wild: true}
		checkAgreement(t, g.world(2+int(seed%9), 1+int(seed%3), int(seed%11)))
		if t.Failed() {
			t.Fatalf("wild world %d disagrees", seed)
		}
	}
}
