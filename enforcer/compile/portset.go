package compile

import (
	"slices"
	"strconv"
)

// portRange is an inclusive range of ports.
type portRange struct{ lo, hi uint16 }

// portSet is what a class admits: every protocol and port, or per protocol
// a sorted list of disjoint, non-adjacent port ranges. The lists are never
// changed once made, only replaced, so copies of a set may share them.
type portSet struct {
	any    bool
	ranges [len(protocols)][]portRange
}

// protocols are the protocols a port set keeps apart, ascending: an array
// slot each, which spares a map per set on the hot path of Compile.
var protocols = [...]Protocol{TCP, UDP, SCTP}

// slot is the protocol's place in portSet.ranges; parsePorts and resolve
// only ever produce these three protocols.
func slot(p Protocol) (int, bool) {
	switch p {
	case TCP:
		return 0, true
	case UDP:
		return 1, true
	case SCTP:
		return 2, true
	}
	return 0, false
}

func anyPort() portSet { return portSet{any: true} }

func (s portSet) empty() bool {
	if s.any {
		return false
	}
	for _, r := range s.ranges {
		if len(r) > 0 {
			return false
		}
	}
	return true
}

// add admits lo..hi on protocol, merging with what is already admitted.
func (s *portSet) add(protocol Protocol, lo, hi uint16) {
	i, ok := slot(protocol)
	if s.any || !ok {
		return
	}
	s.ranges[i] = unionRanges(s.ranges[i], []portRange{{lo, hi}})
}

// union admits everything other admits too.
func (s *portSet) union(other portSet) {
	if other.any {
		*s = anyPort()
		return
	}
	if s.any {
		return
	}
	for i, ranges := range other.ranges {
		if len(ranges) > 0 {
			s.ranges[i] = unionRanges(s.ranges[i], ranges)
		}
	}
}

// equal tells whether two sets admit the same.
func (s portSet) equal(other portSet) bool {
	if s.any || other.any {
		return s.any == other.any
	}
	for i := range s.ranges {
		if !slices.Equal(s.ranges[i], other.ranges[i]) {
			return false
		}
	}
	return true
}

// unionRanges merges two sorted lists of disjoint, non-adjacent ranges in
// one pass. It returns have itself when add brings nothing new, which is
// the common case when many rules admit the same ports, add itself when
// have is empty, and a new slice otherwise.
func unionRanges(have, add []portRange) []portRange {
	if len(have) == 0 {
		return add
	}
	if covers(have, add) {
		return have
	}
	out := make([]portRange, 0, len(have)+len(add))
	push := func(r portRange) {
		if n := len(out); n > 0 && uint32(r.lo) <= uint32(out[n-1].hi)+1 {
			out[n-1].hi = max(out[n-1].hi, r.hi)
			return
		}
		out = append(out, r)
	}
	i, j := 0, 0
	for i < len(have) || j < len(add) {
		if j == len(add) || (i < len(have) && have[i].lo <= add[j].lo) {
			push(have[i])
			i++
		} else {
			push(add[j])
			j++
		}
	}
	return out
}

// covers tells whether every range of add lies inside one range of have;
// both are sorted, so one forward walk answers.
func covers(have, add []portRange) bool {
	i := 0
	for _, r := range add {
		for i < len(have) && have[i].hi < r.lo {
			i++
		}
		if i == len(have) || have[i].lo > r.lo || have[i].hi < r.hi {
			return false
		}
	}
	return true
}

// key is a canonical text of the set: equal sets share a class.
func (s portSet) key() string {
	if s.any {
		return "any"
	}
	return string(s.appendKey(nil))
}

// appendKey appends the set's key to b.
func (s portSet) appendKey(b []byte) []byte {
	if s.any {
		return append(b, "any"...)
	}
	for i, ranges := range s.ranges {
		if len(ranges) == 0 {
			continue
		}
		b = strconv.AppendUint(b, uint64(protocols[i]), 10)
		b = append(b, ':')
		for _, r := range ranges {
			b = strconv.AppendUint(b, uint64(r.lo), 10)
			b = append(b, '-')
			b = strconv.AppendUint(b, uint64(r.hi), 10)
			b = append(b, ',')
		}
		b = append(b, ';')
	}
	return b
}

// entries lays the set out as the class's port map entries.
func (s portSet) entries(class Class) []PortPrefix {
	if s.any {
		return []PortPrefix{{Class: class, Protocol: AnyProtocol}}
	}
	var out []PortPrefix
	for i, ranges := range s.ranges {
		for _, r := range ranges {
			for _, p := range rangePrefixes(r.lo, r.hi) {
				out = append(out, PortPrefix{Class: class, Protocol: protocols[i], Port: p.port, Bits: p.bits})
			}
		}
	}
	return out
}
