package truth

import (
	"cmp"
	"net/netip"
	"slices"

	"github.com/netpolcheck/netpolcheck/scenarios"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	npav1alpha2 "sigs.k8s.io/network-policy-api/apis/v1alpha2"
)

// ClusterNetworkPolicy in Compute. Each direction of a cell is decided on
// its own, tier by tier: the Admin tier, then NetworkPolicy, then the
// Baseline tier, then the default, allow. Within a tier, policies go by
// ascending priority and, within a policy, the first matching rule decides:
// Accept and Deny end the direction, Pass leaves the rest of the tier and
// goes on to the next. NetworkPolicy decides for a pod it isolates in that
// direction, so Baseline is only consulted for pods it does not isolate.
//
// Policies of equal priority in one tier may be applied in any order, the
// API says. Where such policies would decide a cell differently (their first
// matching rules differ in action) that direction is undefined; the cell is
// undefined unless its other direction blocks it for certain.
//
// A pod's traffic to itself is not subject to ClusterNetworkPolicy: those
// cells keep the NetworkPolicy verdict.

// mutation plants a known mistake in applyTiers, for the tests that prove
// the differential against the naive evaluator can fail. Always mutationNone
// outside those tests.
var mutation tierMutation

type tierMutation int

const (
	mutationNone                 tierMutation = iota
	mutationPassAsDeny                        // Pass ends the direction blocked
	mutationBaselineIfIsolated                // Baseline decides before NetworkPolicy
	mutationHighestPriorityFirst              // priorities run from 1000 down
	mutationEqualPriorityByName               // equal priorities are ordered by name, never undefined
)

// tierCells is one tier's verdicts in one direction, as rows of target bits
// per source endpoint, like the table's own rows.
type tierCells struct {
	accept, deny, undefined, decided []uint64
}

func newTierCells(n, words int) *tierCells {
	return &tierCells{
		accept:    make([]uint64, n*words),
		deny:      make([]uint64, n*words),
		undefined: make([]uint64, n*words),
		decided:   make([]uint64, n*words),
	}
}

// final is whether the tier ended evaluation of word k of row r.
func (c *tierCells) final(i int) uint64 { return c.accept[i] | c.deny[i] | c.undefined[i] }

// rectangle is the cells one rule covers: every target in bits, from every
// source in rows.
type rectangle struct {
	rows bitset
	bits bitset
}

// clusterRule is one rule of one cluster policy, as rectangles.
type clusterRule struct {
	action npav1alpha2.ClusterNetworkPolicyRuleAction
	cells  rectangle
}

// applyTiers replaces the NetworkPolicy verdicts of t with the verdicts of
// the tiers. np holds the NetworkPolicy rows Compute built.
func applyTiers(w *scenarios.World, t *TruthTable, x *worldIndex, np *npRows) {
	n, words := len(t.Endpoints), t.rowWords
	tiers := map[npav1alpha2.Tier][2]*tierCells{} // [0] ingress, [1] egress
	for _, tier := range []npav1alpha2.Tier{npav1alpha2.AdminTier, npav1alpha2.BaselineTier} {
		in, eg := newTierCells(n, words), newTierCells(n, words)
		for _, group := range priorityGroups(w.ClusterPolicies, tier) {
			in.evaluate(group, func(p *npav1alpha2.ClusterNetworkPolicy) []clusterRule { return x.ingressRules(p) }, words)
			eg.evaluate(group, func(p *npav1alpha2.ClusterNetworkPolicy) []clusterRule { return x.egressRules(p) }, words)
		}
		tiers[tier] = [2]*tierCells{in, eg}
	}
	admin, baseline := tiers[npav1alpha2.AdminTier], tiers[npav1alpha2.BaselineTier]
	isolatedTargets := x.targetsOf(np.ingressIsolated)
	podTargets := x.targetsOf(x.pods.all)
	t.undefined = make([]uint64, n*words)
	for s := range n {
		egressIsolated := np.egressIsolated.has(s)
		row, undef := t.row(s), bitset(t.undefined[s*words:(s+1)*words])
		npRow := row.clone() // the NetworkPolicy-only verdict, kept for loopback
		for k := range words {
			i := s*words + k
			// Egress: Admin, then NetworkPolicy if it isolates the source, else Baseline.
			egAllowed, egUndef := admin[1].accept[i], admin[1].undefined[i]
			open := ^admin[1].final(i)
			if mutation == mutationBaselineIfIsolated {
				egAllowed |= open & baseline[1].accept[i]
				open &^= baseline[1].final(i)
			}
			if egressIsolated {
				egAllowed |= open & np.egressOK[i]
			} else {
				egAllowed |= open & (baseline[1].accept[i] | ^(baseline[1].deny[i] | baseline[1].undefined[i]))
				egUndef |= open & baseline[1].undefined[i]
			}
			// Ingress: the same, with isolation per destination target.
			inAllowed, inUndef := admin[0].accept[i], admin[0].undefined[i]
			open = ^admin[0].final(i)
			iso := isolatedTargets[k]
			inAllowed |= open & iso & np.ingressOK[i]
			inAllowed |= open &^ iso & (baseline[0].accept[i] | ^(baseline[0].deny[i] | baseline[0].undefined[i]))
			inUndef |= open &^ iso & baseline[0].undefined[i]

			egBlocked := ^egAllowed &^ egUndef
			inBlocked := ^inAllowed &^ inUndef
			u := (egUndef | inUndef) &^ egBlocked &^ inBlocked
			row[k] = egAllowed & inAllowed &^ u
			undef[k] = u
		}
		if t.external(s) {
			row.and(podTargets)
			undef.and(podTargets)
		} else {
			for tg := t.firstPort[s]; tg < t.firstPort[s+1]; tg++ {
				if npRow.has(tg) {
					row.set(tg)
				} else {
					row.clear(tg)
				}
				undef.clear(tg)
			}
		}
	}
}

// priorityGroups orders one tier's policies by priority, then name, and
// groups those of equal priority.
func priorityGroups(all []*npav1alpha2.ClusterNetworkPolicy, tier npav1alpha2.Tier) [][]*npav1alpha2.ClusterNetworkPolicy {
	var ps []*npav1alpha2.ClusterNetworkPolicy
	for _, p := range all {
		if p != nil && p.Spec.Tier == tier {
			ps = append(ps, p)
		}
	}
	slices.SortStableFunc(ps, func(a, b *npav1alpha2.ClusterNetworkPolicy) int {
		if mutation == mutationHighestPriorityFirst {
			return cmp.Or(cmp.Compare(b.Spec.Priority, a.Spec.Priority), cmp.Compare(a.Name, b.Name))
		}
		return cmp.Or(cmp.Compare(a.Spec.Priority, b.Spec.Priority), cmp.Compare(a.Name, b.Name))
	})
	var groups [][]*npav1alpha2.ClusterNetworkPolicy
	for i, p := range ps {
		if i > 0 && p.Spec.Priority == ps[i-1].Spec.Priority && mutation != mutationEqualPriorityByName {
			groups[len(groups)-1] = append(groups[len(groups)-1], p)
			continue
		}
		groups = append(groups, []*npav1alpha2.ClusterNetworkPolicy{p})
	}
	return groups
}

// evaluate runs one priority group over the cells the tier has not decided.
// A lone policy decides directly; policies sharing a priority each decide on
// their own, and cells where their actions differ become undefined.
func (c *tierCells) evaluate(group []*npav1alpha2.ClusterNetworkPolicy, rulesOf func(*npav1alpha2.ClusterNetworkPolicy) []clusterRule, words int) {
	if len(group) == 1 {
		c.firstMatch(rulesOf(group[0]), c.decided, words)
		return
	}
	type verdicts struct{ accept, deny, pass []uint64 }
	var each []verdicts
	for _, p := range group {
		own := &tierCells{
			accept:  make([]uint64, len(c.decided)),
			deny:    make([]uint64, len(c.decided)),
			decided: slices.Clone(c.decided),
		}
		own.firstMatch(rulesOf(p), own.decided, words)
		pass := own.decided
		for i := range pass {
			pass[i] &^= c.decided[i] | own.accept[i] | own.deny[i]
		}
		each = append(each, verdicts{own.accept, own.deny, pass})
	}
	for i := range c.decided {
		var a, d, p uint64
		for _, v := range each {
			a, d, p = a|v.accept[i], d|v.deny[i], p|v.pass[i]
		}
		u := a&d | a&p | d&p
		c.undefined[i] |= u
		c.accept[i] |= a &^ u
		c.deny[i] |= d &^ u
		c.decided[i] |= a | d | p
	}
}

// firstMatch gives each undecided cell the action of the first rule that
// covers it, marking it in decided.
func (c *tierCells) firstMatch(rules []clusterRule, decided []uint64, words int) {
	for _, r := range rules {
		lo, hi := r.cells.bits.span()
		if lo == hi {
			continue
		}
		r.cells.rows.each(func(s int) {
			for k := lo; k < hi; k++ {
				i := s*words + k
				fresh := r.cells.bits[k] &^ decided[i]
				if fresh == 0 {
					continue
				}
				decided[i] |= fresh
				switch r.action {
				case npav1alpha2.ClusterNetworkPolicyRuleActionAccept:
					c.accept[i] |= fresh
				case npav1alpha2.ClusterNetworkPolicyRuleActionDeny:
					c.deny[i] |= fresh
				case npav1alpha2.ClusterNetworkPolicyRuleActionPass:
					if mutation == mutationPassAsDeny {
						c.deny[i] |= fresh
					}
				}
			}
		})
	}
}

// clusterSubject is the pods a cluster policy applies to.
func (x *worldIndex) clusterSubject(p *npav1alpha2.ClusterNetworkPolicy) bitset {
	s := p.Spec.Subject
	switch {
	case s.Namespaces != nil && s.Pods == nil:
		return x.podsInNamespaces(s.Namespaces)
	case s.Pods != nil && s.Namespaces == nil:
		pods := x.podsInNamespaces(&s.Pods.NamespaceSelector)
		pods.and(x.pods.matching(&s.Pods.PodSelector))
		return pods
	}
	return newBitset(len(x.table.Endpoints))
}

func (x *worldIndex) podsInNamespaces(sel *metav1.LabelSelector) bitset {
	out := newBitset(len(x.table.Endpoints))
	x.namespaces.matching(sel).each(func(i int) { out.or(x.nsPods[i]) })
	return out
}

// ingressRules turns a policy's ingress rules into rectangles: sources are
// the peers, targets the subject's ports the rule names.
func (x *worldIndex) ingressRules(p *npav1alpha2.ClusterNetworkPolicy) []clusterRule {
	if len(p.Spec.Ingress) == 0 {
		return nil
	}
	subjectTargets := x.targetsOf(x.clusterSubject(p))
	var out []clusterRule
	for _, r := range p.Spec.Ingress {
		peers := newBitset(len(x.table.Endpoints))
		for i := range r.From {
			peers.or(x.ingressPeer(&r.From[i], r.Action))
		}
		bits := x.protocolTargets(r.Protocols)
		bits.and(subjectTargets)
		out = append(out, clusterRule{action: r.Action, cells: rectangle{rows: peers, bits: bits}})
	}
	return out
}

// egressRules turns a policy's egress rules into rectangles: sources are the
// subject, targets the peers' ports the rule names.
func (x *worldIndex) egressRules(p *npav1alpha2.ClusterNetworkPolicy) []clusterRule {
	if len(p.Spec.Egress) == 0 {
		return nil
	}
	subject := x.clusterSubject(p)
	var out []clusterRule
	for _, r := range p.Spec.Egress {
		peers := newBitset(len(x.table.Endpoints))
		for i := range r.To {
			peers.or(x.egressPeer(&r.To[i], r.Action))
		}
		bits := x.targetsOf(peers)
		bits.and(x.protocolTargets(r.Protocols))
		out = append(out, clusterRule{action: r.Action, cells: rectangle{rows: subject, bits: bits}})
	}
	return out
}

// failClosed is what a peer the oracle cannot read matches: nothing for
// Accept, everyone for Deny and Pass, as the API asks of an implementation
// that meets a peer with no field it knows.
func (x *worldIndex) failClosed(action npav1alpha2.ClusterNetworkPolicyRuleAction) bitset {
	if action == npav1alpha2.ClusterNetworkPolicyRuleActionAccept {
		return newBitset(len(x.table.Endpoints))
	}
	return x.everyone.clone()
}

func (x *worldIndex) ingressPeer(p *npav1alpha2.ClusterNetworkPolicyIngressPeer, action npav1alpha2.ClusterNetworkPolicyRuleAction) bitset {
	switch {
	case p.Namespaces != nil && p.Pods == nil:
		return x.podsInNamespaces(p.Namespaces)
	case p.Pods != nil && p.Namespaces == nil:
		return x.namespacedPods(p.Pods)
	}
	return x.failClosed(action)
}

func (x *worldIndex) egressPeer(p *npav1alpha2.ClusterNetworkPolicyEgressPeer, action npav1alpha2.ClusterNetworkPolicyRuleAction) bitset {
	set := 0
	for _, present := range []bool{p.Namespaces != nil, p.Pods != nil, p.Nodes != nil, p.Networks != nil, p.DomainNames != nil} {
		if present {
			set++
		}
	}
	if set != 1 {
		return x.failClosed(action)
	}
	none := newBitset(len(x.table.Endpoints))
	switch {
	case p.Namespaces != nil:
		return x.podsInNamespaces(p.Namespaces)
	case p.Pods != nil:
		return x.namespacedPods(p.Pods)
	case p.Networks != nil:
		var prefixes []netip.Prefix
		for _, c := range p.Networks {
			if pfx, err := netip.ParsePrefix(string(c)); err == nil {
				prefixes = append(prefixes, pfx.Masked())
			}
		}
		for i, a := range x.addrs {
			for _, pfx := range prefixes {
				if a.IsValid() && pfx.Contains(a) {
					none.set(i)
					break
				}
			}
		}
	}
	// Nodes: the World has no node endpoints. Domain names are matched by
	// name, never by address.
	return none
}

func (x *worldIndex) namespacedPods(p *npav1alpha2.NamespacedPod) bitset {
	pods := x.podsInNamespaces(&p.NamespaceSelector)
	pods.and(x.pods.matching(&p.PodSelector))
	return pods
}

// protocolTargets is the targets a rule's protocols admit; none listed
// admits every target.
func (x *worldIndex) protocolTargets(protocols []npav1alpha2.ClusterNetworkPolicyProtocol) bitset {
	if len(protocols) == 0 {
		return x.allTargets.clone()
	}
	out := newBitset(len(x.table.Targets))
	for i := range protocols {
		for _, g := range x.ports {
			if g.admittedByProtocol(&protocols[i]) {
				out.or(g.targets)
			}
		}
	}
	return out
}

// admittedByProtocol tells whether one protocols entry admits the targets of g.
func (g *portGroup) admittedByProtocol(p *npav1alpha2.ClusterNetworkPolicyProtocol) bool {
	var port *npav1alpha2.Port
	var proto scenarios.Protocol
	switch {
	case p.TCP != nil:
		port, proto = p.TCP.DestinationPort, scenarios.TCP
	case p.UDP != nil:
		port, proto = p.UDP.DestinationPort, scenarios.UDP
	case p.SCTP != nil:
		port, proto = p.SCTP.DestinationPort, scenarios.SCTP
	case p.DestinationNamedPort != "":
		return !g.external && g.name == p.DestinationNamedPort
	default:
		return false
	}
	if g.protocol != proto {
		return false
	}
	switch {
	case port == nil:
		return true
	case port.Range != nil:
		return port.Range.Start <= g.port && g.port <= port.Range.End
	default:
		return port.Number == g.port
	}
}
