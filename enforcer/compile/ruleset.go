package compile

import (
	"net/netip"
	"sort"
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
// enclosing entry is left out.
func (b *ruleSetBuilder) build() []prefixPorts {
	effective := make(map[netip.Prefix]portSet, len(b.ports))
	for p := range b.ports {
		var set portSet
		for bits := 0; bits <= p.Bits(); bits++ {
			if own, ok := b.ports[netip.PrefixFrom(p.Addr(), bits).Masked()]; ok {
				set.union(*own)
			}
		}
		effective[p] = set
	}

	var out []prefixPorts
	for p, set := range effective {
		if parent, ok := b.nearestEnclosing(p); ok && effective[parent].key() == set.key() {
			continue
		}
		out = append(out, prefixPorts{prefix: p, ports: set})
	}
	sort.Slice(out, func(i, j int) bool { return prefixLess(out[i].prefix, out[j].prefix) })
	return out
}

func (b *ruleSetBuilder) nearestEnclosing(p netip.Prefix) (netip.Prefix, bool) {
	for bits := p.Bits() - 1; bits >= 0; bits-- {
		q := netip.PrefixFrom(p.Addr(), bits).Masked()
		if _, ok := b.ports[q]; ok {
			return q, true
		}
	}
	return netip.Prefix{}, false
}

func prefixLess(a, b netip.Prefix) bool {
	if c := a.Addr().Compare(b.Addr()); c != 0 {
		return c < 0
	}
	return a.Bits() < b.Bits()
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
