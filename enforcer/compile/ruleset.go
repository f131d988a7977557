package compile

import (
	"net/netip"
	"slices"
	"strings"
)

// ruleSetBuilder gathers, for one endpoint and direction, which ports each
// remote prefix may use, then lays it out for longest-prefix matching.
type ruleSetBuilder struct {
	ports map[netip.Prefix]*portSet
}

func newRuleSetBuilder() *ruleSetBuilder {
	return &ruleSetBuilder{ports: map[netip.Prefix]*portSet{}}
}

// admit lets every address in prefixes use ports.
func (b *ruleSetBuilder) admit(prefixes []netip.Prefix, ports portSet) {
	if ports.empty() {
		return
	}
	for _, p := range prefixes {
		set, ok := b.ports[p]
		if !ok {
			set = &portSet{}
			b.ports[p] = set
		}
		set.union(ports)
	}
}

// prefixPorts is one entry of a laid-out rule set.
type prefixPorts struct {
	prefix netip.Prefix
	ports  portSet
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

	type laidOut struct {
		ports portSet
		key   string
	}
	effective := make(map[netip.Prefix]laidOut, len(b.ports))
	for p, own := range b.ports {
		var set portSet
		for _, bits := range lengths {
			if bits >= p.Bits() {
				break
			}
			if enclosing, ok := b.ports[netip.PrefixFrom(p.Addr(), bits).Masked()]; ok {
				set.union(*enclosing)
			}
		}
		set.union(*own)
		effective[p] = laidOut{set, set.key()}
	}

	var out []prefixPorts
	for p, e := range effective {
		if parent, ok := b.nearestEnclosing(p, lengths); ok && effective[parent].key == e.key {
			continue
		}
		out = append(out, prefixPorts{prefix: p, ports: e.ports})
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
	var b strings.Builder
	b.WriteString("isolated;")
	for _, e := range entries {
		b.WriteString(e.prefix.String())
		b.WriteByte('=')
		b.WriteString(e.ports.key())
		b.WriteByte('|')
	}
	return b.String()
}
