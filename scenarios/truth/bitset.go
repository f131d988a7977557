package truth

import "math/bits"

// bitset is a fixed-size set of small integers, stored 64 to a word so that
// unions and intersections of whole rows cost one instruction per 64 cells.
type bitset []uint64

// wordsFor is the number of words a bitset of n bits needs.
func wordsFor(n int) int { return (n + 63) / 64 }

func newBitset(n int) bitset { return make(bitset, wordsFor(n)) }

func (b bitset) set(i int) { b[i>>6] |= 1 << (uint(i) & 63) }

func (b bitset) clear(i int) { b[i>>6] &^= 1 << (uint(i) & 63) }

func (b bitset) has(i int) bool {
	if i < 0 || i>>6 >= len(b) {
		return false
	}
	return b[i>>6]&(1<<(uint(i)&63)) != 0
}

// setRange sets bits lo..hi-1; targets of one endpoint are contiguous, so
// expanding endpoints to targets is a handful of word writes per endpoint.
func (b bitset) setRange(lo, hi int) {
	for lo < hi {
		w, off := lo>>6, uint(lo)&63
		n := min(64-int(off), hi-lo)
		mask := ^uint64(0)
		if n < 64 {
			mask = (1<<uint(n) - 1) << off
		}
		b[w] |= mask
		lo += n
	}
}

func (b bitset) clone() bitset { return append(bitset(nil), b...) }

func (b bitset) or(o bitset) {
	for i := range b {
		b[i] |= o[i]
	}
}

func (b bitset) and(o bitset) {
	for i := range b {
		b[i] &= o[i]
	}
}

func (b bitset) andNot(o bitset) {
	for i := range b {
		b[i] &^= o[i]
	}
}

func (b bitset) empty() bool {
	for _, w := range b {
		if w != 0 {
			return false
		}
	}
	return true
}

// span is the half-open range of words holding set bits; OR-ing a sparse row
// into many others then touches only that range.
func (b bitset) span() (lo, hi int) {
	for lo < len(b) && b[lo] == 0 {
		lo++
	}
	hi = len(b)
	for hi > lo && b[hi-1] == 0 {
		hi--
	}
	return lo, hi
}

// each calls fn with every set bit in increasing order.
func (b bitset) each(fn func(i int)) {
	for w, word := range b {
		for word != 0 {
			fn(w<<6 + bits.TrailingZeros64(word))
			word &= word - 1
		}
	}
}
