package compile

import (
	"fmt"
	"sort"
	"strings"
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
	s.ranges[protocol] = mergeRanges(append(s.ranges[protocol], portRange{lo, hi}))
}

// union admits everything other admits too.
func (s *portSet) union(other portSet) {
	if other.any {
		*s = anyPort()
		return
	}
	for protocol, ranges := range other.ranges {
		for _, r := range ranges {
			s.add(protocol, r.lo, r.hi)
		}
	}
}

func mergeRanges(ranges []portRange) []portRange {
	sort.Slice(ranges, func(i, j int) bool { return ranges[i].lo < ranges[j].lo })
	out := ranges[:0:0]
	for _, r := range ranges {
		if n := len(out); n > 0 && uint32(r.lo) <= uint32(out[n-1].hi)+1 {
			if r.hi > out[n-1].hi {
				out[n-1].hi = r.hi
			}
			continue
		}
		out = append(out, r)
	}
	return out
}

func (s portSet) protocols() []Protocol {
	out := make([]Protocol, 0, len(s.ranges))
	for p := range s.ranges {
		out = append(out, p)
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}

// key is a canonical text of the set: equal sets share a class.
func (s portSet) key() string {
	if s.any {
		return "any"
	}
	var b strings.Builder
	for _, protocol := range s.protocols() {
		fmt.Fprintf(&b, "%d:", protocol)
		for _, r := range s.ranges[protocol] {
			fmt.Fprintf(&b, "%d-%d,", r.lo, r.hi)
		}
		b.WriteByte(';')
	}
	return b.String()
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
