package compile

import (
	"cmp"
	"net/netip"
	"slices"
	"strconv"

	npav1alpha2 "sigs.k8s.io/network-policy-api/apis/v1alpha2"
)

// Cluster policies are enforced by the same two longest-prefix lookups as
// NetworkPolicy. The tiers are evaluated here, once per rule set, for every
// region of the address space that some rule names; each region gets the
// final verdict for every protocol and port, with deny entries naming the
// rule that decided. So the datapath's cost does not grow with tiers,
// priorities or rule counts, only the tables do.

// tierRule is a cluster policy rule as it applies to one endpoint and
// direction: the ports it matches per remote prefix, named ports resolved.
type tierRule struct {
	ref     uint32
	action  npav1alpha2.ClusterNetworkPolicyRuleAction
	matches map[netip.Prefix]portSet
}

// verdict is what a region's entry says of a port: allowed, or denied by
// rule (0 when no NetworkPolicy rule admits it).
type verdict struct {
	deny bool
	rule uint32
}

// decided is part of a region's port space and its verdict.
type decided struct {
	ports space
	verdict
}

// tierRules are the rules of the policies for one endpoint and direction,
// in evaluation order; the endpoint is the destination for ingress.
func tierRules(policies []*clusterPolicy, ep *pod, ingress bool) []tierRule {
	var out []tierRule
	for _, p := range policies {
		rules := p.egress
		if ingress {
			rules = p.ingress
		}
		for _, r := range rules {
			tr := tierRule{ref: r.ref, action: r.action, matches: map[netip.Prefix]portSet{}}
			admit := func(prefix netip.Prefix, ports portSet) {
				if ports.empty() {
					return
				}
				set := tr.matches[prefix]
				set.union(ports)
				tr.matches[prefix] = set
			}
			if ingress {
				ports := r.ports
				ports.union(namedPorts(r.named, ep))
				for _, prefix := range r.peers.prefixes {
					admit(prefix, ports)
				}
			} else {
				for _, prefix := range r.peers.prefixes {
					admit(prefix, r.ports)
				}
				if len(r.named) > 0 {
					for _, peer := range r.peers.pods {
						admit(netip.PrefixFrom(peer.ip, 32), namedPorts(r.named, peer))
					}
				}
			}
			out = append(out, tr)
		}
	}
	return out
}

// flatten lays out the rule set of one endpoint and direction from its
// Admin rules, its NetworkPolicy rules (nil when no NetworkPolicy isolates
// it) and its Baseline rules. Every address falls under the entry of its
// longest enclosing prefix, so the entry of prefix p must decide for the
// addresses of p that no longer prefix of the set holds; the rules that
// match them are exactly those naming a prefix that encloses p.
func flatten(admin []tierRule, np *ruleSetBuilder, baseline []tierRule) []prefixPorts {
	all := netip.PrefixFrom(netip.IPv4Unspecified(), 0)
	prefixes := map[netip.Prefix]bool{all: true}
	for _, rules := range [][]tierRule{admin, baseline} {
		for _, r := range rules {
			for p := range r.matches {
				prefixes[p] = true
			}
		}
	}
	if np != nil {
		for p := range np.ports {
			prefixes[p] = true
		}
	}
	var used [33]bool
	for p := range prefixes {
		used[p.Bits()] = true
	}
	var lengths []int
	for bits, ok := range used {
		if ok {
			lengths = append(lengths, bits)
		}
	}
	// matching is what a prefix table admits for addresses of p: the
	// union over the prefixes enclosing p.
	matching := func(table map[netip.Prefix]portSet, p netip.Prefix) (portSet, bool) {
		var set portSet
		found := false
		for _, bits := range lengths {
			if bits > p.Bits() {
				break
			}
			if ports, ok := table[netip.PrefixFrom(p.Addr(), bits).Masked()]; ok {
				set.union(ports)
				found = true
			}
		}
		return set, found
	}

	classes := make(map[netip.Prefix]string, len(prefixes))
	entries := make(map[netip.Prefix][]PortPrefix, len(prefixes))
	for p := range prefixes {
		open := fullSpace()
		var out []decided
		// runTier applies a tier's rules in order to what is still open;
		// Pass takes ports out of the tier, and they go on to the next.
		runTier := func(rules []tierRule) {
			var passed space
			for _, r := range rules {
				ports, ok := matching(r.matches, p)
				if !ok {
					continue
				}
				hit := open.intersect(spaceOf(ports))
				if hit.empty() {
					continue
				}
				open = open.minus(hit)
				switch r.action {
				case npav1alpha2.ClusterNetworkPolicyRuleActionAccept:
					out = append(out, decided{ports: hit})
				case npav1alpha2.ClusterNetworkPolicyRuleActionDeny:
					out = append(out, decided{ports: hit, verdict: verdict{deny: true, rule: r.ref}})
				default:
					passed = passed.plus(hit)
				}
			}
			open = open.plus(passed)
		}
		runTier(admin)
		if np != nil {
			admitted, _ := matching(np.ports, p)
			allowed := open.intersect(spaceOf(admitted))
			out = append(out, decided{ports: allowed}, decided{ports: open.minus(allowed), verdict: verdict{deny: true}})
		} else {
			runTier(baseline)
			out = append(out, decided{ports: open})
		}
		entries[p] = portEntries(out)
		classes[p] = verdictKey(entries[p])
	}

	out := make([]prefixPorts, 0, len(prefixes))
	for p := range prefixes {
		if parent, ok := nearestIn(prefixes, p, lengths); ok && classes[parent] == classes[p] {
			continue
		}
		out = append(out, prefixPorts{prefix: p, verdicts: entries[p], class: classes[p]})
	}
	slices.SortFunc(out, func(x, y prefixPorts) int { return prefixCompare(x.prefix, y.prefix) })
	return out
}

// nearestIn is the longest prefix of the set strictly enclosing p.
func nearestIn(set map[netip.Prefix]bool, p netip.Prefix, lengths []int) (netip.Prefix, bool) {
	for i := len(lengths) - 1; i >= 0; i-- {
		if lengths[i] >= p.Bits() {
			continue
		}
		q := netip.PrefixFrom(p.Addr(), lengths[i]).Masked()
		if set[q] {
			return q, true
		}
	}
	return netip.Prefix{}, false
}

// portEntries lays out a region's verdicts, which together cover every
// protocol and port, as port map entries (without their class): one for
// every protocol, one per protocol whose most common verdict differs from
// that, and blocks for the ports whose verdict differs from their
// protocol's. A longest-prefix lookup then finds each port's verdict.
func portEntries(parts []decided) []PortPrefix {
	var other verdict
	type span struct {
		portRange
		verdict
	}
	var spans [len(protocols)][]span
	for _, d := range parts {
		if d.ports.other {
			other = d.verdict
		}
		for i, ranges := range d.ports.ranges {
			for _, r := range ranges {
				spans[i] = append(spans[i], span{r, d.verdict})
			}
		}
	}
	out := []PortPrefix{{Protocol: AnyProtocol, Deny: other.deny, Rule: other.rule}}
	for i, list := range spans {
		slices.SortFunc(list, func(a, b span) int { return cmp.Compare(a.lo, b.lo) })
		// Neighbours with one verdict make one range: fewer blocks.
		merged := list[:0]
		for _, s := range list {
			if n := len(merged); n > 0 && merged[n-1].verdict == s.verdict && uint32(merged[n-1].hi)+1 == uint32(s.lo) {
				merged[n-1].hi = s.hi
				continue
			}
			merged = append(merged, s)
		}
		coverage := map[verdict]uint32{other: 0}
		for _, s := range merged {
			coverage[s.verdict] += uint32(s.hi) - uint32(s.lo) + 1
		}
		common := other
		for v, n := range coverage {
			c := coverage[common]
			if n > c || (n == c && v != common && (v == other || (common != other && verdictLess(v, common)))) {
				common = v
			}
		}
		if common != other {
			out = append(out, PortPrefix{Protocol: protocols[i], Deny: common.deny, Rule: common.rule})
		}
		for _, s := range merged {
			if s.verdict == common {
				continue
			}
			for _, pp := range rangePrefixes(s.lo, s.hi) {
				out = append(out, PortPrefix{Protocol: protocols[i], Port: pp.port, Bits: pp.bits, Deny: s.deny, Rule: s.rule})
			}
		}
	}
	return out
}

// verdictLess orders verdicts, so that ties in coverage break alike on
// every run: allow first, then denials by rule.
func verdictLess(a, b verdict) bool {
	if a.deny != b.deny {
		return !a.deny
	}
	return a.rule < b.rule
}

// verdictKey is a canonical text of a region's entries, by which classes
// are shared; it never reads like a portSet key.
func verdictKey(entries []PortPrefix) string {
	b := []byte{'v'}
	for _, e := range entries {
		b = strconv.AppendUint(b, uint64(e.Protocol), 10)
		b = append(b, ':')
		b = strconv.AppendUint(b, uint64(e.Port), 10)
		b = append(b, '/')
		b = strconv.AppendUint(b, uint64(e.Bits), 10)
		if e.Deny {
			b = append(b, 'd')
			b = strconv.AppendUint(b, uint64(e.Rule), 10)
		}
		b = append(b, ';')
	}
	return string(b)
}
