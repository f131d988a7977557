package compile

import (
	"net/netip"
	"slices"
)

// ruleSetBuilder gathers, for one endpoint and direction, which ports each
// remote prefix may use, then lays it out for longest-prefix matching.
type ruleSetBuilder struct {
	ports map[netip.Prefix]portSet
}

func newRuleSetBuilder() *ruleSetBuilder {
	return &ruleSetBuilder{ports: map[netip.Prefix]portSet{}}
}

// admit lets every address in prefixes use ports.
func (b *ruleSetBuilder) admit(prefixes []netip.Prefix, ports portSet) {
	if ports.empty() {
		return
	}
	for _, p := range prefixes {
		set := b.ports[p]
		set.union(ports)
		b.ports[p] = set
	}
}

// prefixPorts is one entry of a laid-out rule set; class is the key of
// its ports, by which classes are shared.
type prefixPorts struct {
	prefix netip.Prefix
	ports  portSet
	// verdicts, when set, are the entries of a rule set flattened from
	// cluster policy tiers, which deny as well as allow; ports is unused.
	verdicts []PortPrefix
	class    string
}

// build lays the rule set out in address order. A prefix's ports include
// those of every enclosing prefix, because a longest-prefix lookup stops at
// the most specific match; a prefix that would only repeat its nearest
// enclosing entry is left out. Enclosing prefixes are looked up only at the
// lengths the rule set uses, a handful, rather than at all 33.
func (b *ruleSetBuilder) build() []prefixPorts {
	var used [33]bool
	for p := range b.ports {
		used[p.Bits()] = true
	}
	lengths := make([]int, 0, len(used))
	for bits, ok := range used {
		if ok {
			lengths = append(lengths, bits)
		}
	}

	effective := make(map[netip.Prefix]portSet, len(b.ports))
	for p, own := range b.ports {
		var set portSet
		for _, bits := range lengths {
			if bits >= p.Bits() {
				break
			}
			if enclosing, ok := b.ports[netip.PrefixFrom(p.Addr(), bits).Masked()]; ok {
				set.union(enclosing)
			}
		}
		set.union(own)
		effective[p] = set
	}

	out := make([]prefixPorts, 0, len(effective))
	for p, set := range effective {
		if parent, ok := b.nearestEnclosing(p, lengths); ok && effective[parent].equal(set) {
			continue
		}
		out = append(out, prefixPorts{prefix: p, ports: set, class: set.key()})
	}
	slices.SortFunc(out, func(x, y prefixPorts) int { return prefixCompare(x.prefix, y.prefix) })
	return out
}

// nearestEnclosing is the longest prefix of the rule set strictly
// enclosing p; lengths are the prefix lengths in use, ascending.
func (b *ruleSetBuilder) nearestEnclosing(p netip.Prefix, lengths []int) (netip.Prefix, bool) {
	for i := len(lengths) - 1; i >= 0; i-- {
		if lengths[i] >= p.Bits() {
			continue
		}
		q := netip.PrefixFrom(p.Addr(), lengths[i]).Masked()
		if _, ok := b.ports[q]; ok {
			return q, true
		}
	}
	return netip.Prefix{}, false
}

func prefixCompare(a, b netip.Prefix) int {
	if c := a.Addr().Compare(b.Addr()); c != 0 {
		return c
	}
	return a.Bits() - b.Bits()
}

// ruleSetKey is a canonical text of a laid-out rule set: endpoints whose
// rule sets read the same share one.
func ruleSetKey(entries []prefixPorts) string {
	b := []byte("isolated;")
	for _, e := range entries {
		b = e.prefix.AppendTo(b)
		b = append(b, '=')
		b = append(b, e.class...)
		b = append(b, '|')
	}
	return string(b)
}
