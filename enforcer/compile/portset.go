package compile

import (
	"slices"
	"strconv"
)

// portRange is an inclusive range of ports.
type portRange struct{ lo, hi uint16 }

// portSet is what a class admits: every protocol and port, or per protocol
// a sorted list of disjoint, non-adjacent port ranges.
type portSet struct {
	any    bool
	ranges map[Protocol][]portRange
}

func anyPort() portSet { return portSet{any: true} }

func (s portSet) empty() bool { return !s.any && len(s.ranges) == 0 }

// add admits lo..hi on protocol, merging with what is already admitted.
func (s *portSet) add(protocol Protocol, lo, hi uint16) {
	if s.any {
		return
	}
	if s.ranges == nil {
		s.ranges = map[Protocol][]portRange{}
	}
	s.ranges[protocol] = unionRanges(s.ranges[protocol], []portRange{{lo, hi}})
}

// union admits everything other admits too. It never shares other's
// slices, so that adding to one set later cannot change the other.
func (s *portSet) union(other portSet) {
	if other.any {
		*s = anyPort()
		return
	}
	if s.any {
		return
	}
	for protocol, ranges := range other.ranges {
		if s.ranges == nil {
			s.ranges = map[Protocol][]portRange{}
		}
		s.ranges[protocol] = unionRanges(s.ranges[protocol], ranges)
	}
}

// unionRanges merges two sorted lists of disjoint, non-adjacent ranges in
// one pass. It returns have itself when add brings nothing new, which is
// the common case when many rules admit the same ports, and a new slice
// otherwise.
func unionRanges(have, add []portRange) []portRange {
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

func (s portSet) protocols() []Protocol {
	out := make([]Protocol, 0, len(s.ranges))
	for p := range s.ranges {
		out = append(out, p)
	}
	slices.Sort(out)
	return out
}

// key is a canonical text of the set: equal sets share a class.
func (s portSet) key() string {
	if s.any {
		return "any"
	}
	var b []byte
	for _, protocol := range s.protocols() {
		b = strconv.AppendUint(b, uint64(protocol), 10)
		b = append(b, ':')
		for _, r := range s.ranges[protocol] {
			b = strconv.AppendUint(b, uint64(r.lo), 10)
			b = append(b, '-')
			b = strconv.AppendUint(b, uint64(r.hi), 10)
			b = append(b, ',')
		}
		b = append(b, ';')
	}
	return string(b)
}

// entries lays the set out as the class's port map entries.
func (s portSet) entries(class Class) []PortPrefix {
	if s.any {
		return []PortPrefix{{Class: class, Protocol: AnyProtocol}}
	}
	var out []PortPrefix
	for _, protocol := range s.protocols() {
		for _, r := range s.ranges[protocol] {
			for _, p := range rangePrefixes(r.lo, r.hi) {
				out = append(out, PortPrefix{Class: class, Protocol: protocol, Port: p.port, Bits: p.bits})
			}
		}
	}
	return out
}
