package compile

import "slices"

// space is a set of (protocol, port) pairs over every IP protocol: other
// stands for all protocols a portSet does not keep apart (ICMP and the
// rest, which have no ports), ranges for TCP, UDP and SCTP. Flattening the
// tiers needs what portSet never did: intersection and difference.
type space struct {
	other  bool
	ranges [len(protocols)][]portRange
}

// fullSpace is every protocol and port.
func fullSpace() space {
	s := space{other: true}
	for i := range s.ranges {
		s.ranges[i] = []portRange{{0, 65535}}
	}
	return s
}

// spaceOf is the pairs a port set admits.
func spaceOf(ports portSet) space {
	if ports.any {
		return fullSpace()
	}
	return space{ranges: ports.ranges}
}

func (s space) empty() bool {
	if s.other {
		return false
	}
	for _, r := range s.ranges {
		if len(r) > 0 {
			return false
		}
	}
	return true
}

func (s space) intersect(t space) space {
	out := space{other: s.other && t.other}
	for i := range s.ranges {
		out.ranges[i] = intersectRanges(s.ranges[i], t.ranges[i])
	}
	return out
}

func (s space) minus(t space) space {
	out := space{other: s.other && !t.other}
	for i := range s.ranges {
		out.ranges[i] = subtractRanges(s.ranges[i], t.ranges[i])
	}
	return out
}

func (s space) plus(t space) space {
	out := space{other: s.other || t.other}
	for i := range s.ranges {
		out.ranges[i] = unionRanges(s.ranges[i], t.ranges[i])
	}
	return out
}

// intersectRanges is the ports in both sorted lists of disjoint ranges.
func intersectRanges(a, b []portRange) []portRange {
	var out []portRange
	i, j := 0, 0
	for i < len(a) && j < len(b) {
		lo, hi := max(a[i].lo, b[j].lo), min(a[i].hi, b[j].hi)
		if lo <= hi {
			out = append(out, portRange{lo, hi})
		}
		if a[i].hi < b[j].hi {
			i++
		} else {
			j++
		}
	}
	return out
}

// subtractRanges is the ports of a that are not in b; both are sorted
// lists of disjoint ranges.
func subtractRanges(a, b []portRange) []portRange {
	var out []portRange
	j := 0
	for _, r := range a {
		lo := uint32(r.lo)
		for j < len(b) && b[j].hi < r.lo {
			j++
		}
		for k := j; k < len(b) && b[k].lo <= r.hi && lo <= uint32(r.hi); k++ {
			if uint32(b[k].lo) > lo {
				out = append(out, portRange{uint16(lo), b[k].lo - 1})
			}
			lo = uint32(b[k].hi) + 1
		}
		if lo <= uint32(r.hi) {
			out = append(out, portRange{uint16(lo), r.hi})
		}
	}
	return slices.Clip(out)
}
