package truth

import (
	"slices"
	"testing"
)

func TestBitset(t *testing.T) {
	tests := []struct {
		name           string
		size           int
		ranges         [][2]int
		want           []int
		wantLo, wantHi int
	}{
		{"empty", 130, nil, nil, 3, 3},
		{"within a word", 130, [][2]int{{3, 6}}, []int{3, 4, 5}, 0, 1},
		{"across words", 130, [][2]int{{62, 66}}, []int{62, 63, 64, 65}, 0, 2},
		{"a whole word", 130, [][2]int{{64, 128}}, seq(64, 128), 1, 2},
		{"to the end", 130, [][2]int{{127, 130}}, []int{127, 128, 129}, 1, 3},
		{"two ranges", 200, [][2]int{{0, 1}, {199, 200}}, []int{0, 199}, 0, 4},
		{"empty range", 10, [][2]int{{5, 5}}, nil, 1, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := newBitset(tt.size)
			for _, r := range tt.ranges {
				b.setRange(r[0], r[1])
			}
			var got []int
			b.each(func(i int) { got = append(got, i) })
			if !slices.Equal(got, tt.want) {
				t.Errorf("bits = %v, want %v", got, tt.want)
			}
			if lo, hi := b.span(); lo != tt.wantLo || hi != tt.wantHi {
				t.Errorf("span = [%d, %d), want [%d, %d)", lo, hi, tt.wantLo, tt.wantHi)
			}
			if b.empty() != (len(tt.want) == 0) {
				t.Errorf("empty = %v with bits %v", b.empty(), tt.want)
			}
			for i := -1; i <= tt.size+64; i++ {
				if b.has(i) != slices.Contains(tt.want, i) {
					t.Errorf("has(%d) = %v", i, b.has(i))
				}
			}
		})
	}
}

func TestBitsetAlgebra(t *testing.T) {
	a, b := newBitset(100), newBitset(100)
	a.setRange(10, 80)
	b.setRange(70, 90)
	union, inter, diff := a.clone(), a.clone(), a.clone()
	union.or(b)
	inter.and(b)
	diff.andNot(b)
	for _, tt := range []struct {
		name string
		set  bitset
		want []int
	}{
		{"or", union, seq(10, 90)},
		{"and", inter, seq(70, 80)},
		{"andNot", diff, seq(10, 70)},
		{"clone leaves the original", a, seq(10, 80)},
	} {
		var got []int
		tt.set.each(func(i int) { got = append(got, i) })
		if !slices.Equal(got, tt.want) {
			t.Errorf("%s = %v, want %v", tt.name, got, tt.want)
		}
	}
}

func seq(lo, hi int) []int {
	var s []int
	for i := lo; i < hi; i++ {
		s = append(s, i)
	}
	return s
}
