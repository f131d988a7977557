package compile

import (
	"encoding/binary"
	"net/netip"
)

// subtract returns disjoint prefixes covering block less every except, in
// address order. A longest-prefix-match table cannot say "all of this but
// that", so exceptions are carved out here: each except costs at most one
// prefix per bit between the block's length and its own.
func subtract(block netip.Prefix, excepts []netip.Prefix) []netip.Prefix {
	var out []netip.Prefix
	var walk func(p netip.Prefix)
	walk = func(p netip.Prefix) {
		split := false
		for _, e := range excepts {
			if e.Bits() <= p.Bits() && e.Contains(p.Addr()) {
				return // p lies wholly inside an exception
			}
			if e.Bits() > p.Bits() && p.Contains(e.Addr()) {
				split = true
			}
		}
		if !split {
			out = append(out, p)
			return
		}
		low, high := halves(p)
		walk(low)
		walk(high)
	}
	walk(block)
	return out
}

// halves splits an IPv4 prefix shorter than /32 into its two children.
func halves(p netip.Prefix) (netip.Prefix, netip.Prefix) {
	bits := p.Bits() + 1
	a := p.Addr().As4()
	n := binary.BigEndian.Uint32(a[:]) | 1<<(32-bits)
	var hi [4]byte
	binary.BigEndian.PutUint32(hi[:], n)
	return netip.PrefixFrom(p.Addr(), bits), netip.PrefixFrom(netip.AddrFrom4(hi), bits)
}

// portPrefix is a block of 2^(16-bits) ports starting at port.
type portPrefix struct {
	port uint16
	bits uint8
}

// rangePrefixes covers the ports lo..hi (inclusive) with the fewest aligned
// blocks, so that a longest-prefix lookup decides a range in one step:
// 80-443 takes 8 prefixes, 1-65535 takes 16.
func rangePrefixes(lo, hi uint16) []portPrefix {
	var out []portPrefix
	next, last := uint32(lo), uint32(hi)
	for next <= last {
		size, bits := uint32(1), uint8(16)
		for bits > 0 {
			bigger := size << 1
			if next%bigger != 0 || next+bigger-1 > last {
				break
			}
			size, bits = bigger, bits-1
		}
		out = append(out, portPrefix{port: uint16(next), bits: bits})
		next += size
	}
	return out
}
