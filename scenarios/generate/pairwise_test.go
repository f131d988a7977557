package generate

import (
	"errors"
	"slices"
	"testing"
)

func TestCoverPairs(t *testing.T) {
	n := newValueNumbers()
	update := ok
	create := tweak(func(c *combo) { c.step = StepCreate })
	// other shares no value with ok, so no pair either.
	other := combo{DirectionBoth, TargetMatchExpressions, PeerIPBlock, NamespaceSame, PortNamed, ProtocolSCTP, StepDelete}
	// Want only the pairs update and create share: every pair without the step.
	want := make([]bool, n.pairSpace())
	for _, p := range n.pairs(update) {
		want[p] = true
	}
	createPairs := n.pairs(create)
	for _, p := range n.pairs(update) {
		if !slices.Contains(createPairs[:], p) {
			want[p] = false
		}
	}
	errBoom := errors.New("boom")
	tests := []struct {
		name    string
		cands   []combo
		refuse  int
		fail    bool
		want    []int
		wantErr error
	}{
		{"fewer steps win a tie", []combo{update, create}, -1, false, []int{1}, nil},
		{"the earlier wins a full tie", []combo{create, create}, -1, false, []int{0}, nil},
		{"a refused winner makes way", []combo{update, create}, 1, false, []int{0}, nil},
		{"useless candidates are never taken", []combo{other}, -1, false, nil, nil},
		{"accept's error stops the search", []combo{update}, -1, true, nil, errBoom},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			accept := func(i int) (bool, error) {
				if tt.fail {
					return false, errBoom
				}
				return i != tt.refuse, nil
			}
			covered := make([]bool, n.pairSpace())
			got, err := n.coverPairs(tt.cands, want, covered, accept)
			if !errors.Is(err, tt.wantErr) || !slices.Equal(got, tt.want) {
				t.Errorf("coverPairs = %v, %v; want %v, %v", got, err, tt.want, tt.wantErr)
			}
		})
	}
}

func TestPairsOfACombo(t *testing.T) {
	n := newValueNumbers()
	if n.total != 31 {
		t.Fatalf("%d values, want 31", n.total)
	}
	pairs := n.pairs(ok)
	seen := map[int]bool{}
	for _, p := range pairs {
		seen[p] = true
	}
	if len(seen) != pairsPerCombo || pairsPerCombo != 21 {
		t.Errorf("%d distinct pairs, want 21", len(seen))
	}
	// direction=ingress is value 0 and target=all value 3: their pair comes first.
	if pairs[0] != 0*31+3 {
		t.Errorf("first pair = %d, want %d", pairs[0], 3)
	}
}
