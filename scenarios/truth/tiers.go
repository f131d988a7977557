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
// per row class (see rowClasses), like the table's own rows.
type tierCells struct {
	accept, deny, undefined, decided []uint64
}

func newTierCells(rows, words int) *tierCells {
	return &tierCells{
		accept:    make([]uint64, rows*words),
		deny:      make([]uint64, rows*words),
		undefined: make([]uint64, rows*words),
		decided:   make([]uint64, rows*words),
	}
}

// final is whether the tier ended evaluation of word i.
func (c *tierCells) final(i int) uint64 { return c.accept[i] | c.deny[i] | c.undefined[i] }

// clusterRule is one rule of one cluster policy as the cells it covers:
// every target in bits, from every source in rows. classes is rows as row
// classes, filled by rowClasses.
type clusterRule struct {
	action  npav1alpha2.ClusterNetworkPolicyRuleAction
	rows    bitset
	bits    bitset
	classes []int
}

// rowClasses groups the source rows that every rule treats alike: two
// sources in one class are in the rows of exactly the same rules, so the
// tiers give them the same cells. A cluster policy's subject or peers span
// whole namespaces, so a World has few classes, and the tiers are evaluated
// once per class instead of once per source. It returns each source's class
// and fills each rule's classes.
func rowClasses(n int, rules [][]clusterRule) (classOf []int, classes int) {
	classOf = make([]int, n)
	classes = 1
	for _, policy := range rules {
		for _, r := range policy {
			// Split every class in two: its sources in the rule's rows, and the rest.
			in, out := make([]int, classes), make([]int, classes)
			for c := range classes {
				in[c], out[c] = -1, -1
			}
			next := 0
			for s := range n {
				side := out
				if r.rows.has(s) {
					side = in
				}
				c := classOf[s]
				if side[c] < 0 {
					side[c] = next
					next++
				}
				classOf[s] = side[c]
			}
			classes = next
		}
	}
	for _, policy := range rules {
		for i := range policy {
			r := &policy[i]
			seen := make([]bool, classes)
			r.rows.each(func(s int) {
				if c := classOf[s]; !seen[c] {
					seen[c] = true
					r.classes = append(r.classes, c)
				}
			})
		}
	}
	return classOf, classes
}

// tierDirection is one tier's verdicts in one direction, per row class of
// that tier's rules.
type tierDirection struct {
	*tierCells
	classOf []int
}

// evaluateTier evaluates one tier in one direction.
func evaluateTier(w *scenarios.World, tier npav1alpha2.Tier, n, words int, rulesOf func(*npav1alpha2.ClusterNetworkPolicy) []clusterRule) tierDirection {
	rules := map[*npav1alpha2.ClusterNetworkPolicy][]clusterRule{}
	var all [][]clusterRule
	for _, p := range w.ClusterPolicies {
		if p != nil && p.Spec.Tier == tier {
			rules[p] = rulesOf(p)
			all = append(all, rules[p])
		}
	}
	classOf, classes := rowClasses(n, all)
	c := newTierCells(classes, words)
	scratch := newGroupCells(classes * words)
	for _, group := range priorityGroups(w.ClusterPolicies, tier) {
		c.evaluate(group, rules, words, scratch)
	}
	return tierDirection{tierCells: c, classOf: classOf}
}

// applyTiers replaces the NetworkPolicy verdicts of t with the verdicts of
// the tiers. np holds the NetworkPolicy rows Compute built.
func applyTiers(w *scenarios.World, t *TruthTable, x *worldIndex, np *npRows) {
	n, words := len(t.Endpoints), t.rowWords
	inAdmin := evaluateTier(w, npav1alpha2.AdminTier, n, words, x.ingressRules)
	inBaseline := evaluateTier(w, npav1alpha2.BaselineTier, n, words, x.ingressRules)
	egAdmin := evaluateTier(w, npav1alpha2.AdminTier, n, words, x.egressRules)
	egBaseline := evaluateTier(w, npav1alpha2.BaselineTier, n, words, x.egressRules)
	isolatedTargets := x.targetsOf(np.ingressIsolated)
	podTargets := x.targetsOf(x.pods.all)
	t.undefined = make([]uint64, n*words)
	for s := range n {
		egressIsolated := np.egressIsolated.has(s)
		row, undef := t.row(s), bitset(t.undefined[s*words:(s+1)*words])
		npRow := row.clone() // the NetworkPolicy-only verdict, kept for loopback
		ea, eb := egAdmin.classOf[s]*words, egBaseline.classOf[s]*words
		ia, ib := inAdmin.classOf[s]*words, inBaseline.classOf[s]*words
		for k := range words {
			i, e, f, g, h := s*words+k, ea+k, eb+k, ia+k, ib+k
			// Egress: Admin, then NetworkPolicy if it isolates the source, else Baseline.
			egAllowed, egUndef := egAdmin.accept[e], egAdmin.undefined[e]
			open := ^egAdmin.final(e)
			if mutation == mutationBaselineIfIsolated {
				egAllowed |= open & egBaseline.accept[f]
				open &^= egBaseline.final(f)
			}
			if egressIsolated {
				egAllowed |= open & np.egressOK[i]
			} else {
				egAllowed |= open & (egBaseline.accept[f] | ^(egBaseline.deny[f] | egBaseline.undefined[f]))
				egUndef |= open & egBaseline.undefined[f]
			}
			// Ingress: the same, with isolation per destination target.
			inAllowed, inUndef := inAdmin.accept[g], inAdmin.undefined[g]
			open = ^inAdmin.final(g)
			iso := isolatedTargets[k]
			inAllowed |= open & iso & np.ingressOK[i]
			inAllowed |= open &^ iso & (inBaseline.accept[h] | ^(inBaseline.deny[h] | inBaseline.undefined[h]))
			inUndef |= open &^ iso & inBaseline.undefined[h]

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

// groupCells accumulates what the policies of one priority group decide.
// Its slices are as large as a tier's and all zero between groups: every
// pass over them touches only the cells the group's rules cover.
type groupCells struct {
	own, accept, deny, pass, undefined []uint64
}

func newGroupCells(size int) *groupCells {
	return &groupCells{
		own: make([]uint64, size), accept: make([]uint64, size), deny: make([]uint64, size),
		pass: make([]uint64, size), undefined: make([]uint64, size),
	}
}

// evaluate runs one priority group over the cells the tier has not decided.
// Each policy decides on its own by its first matching rule; where the
// group's policies decide a cell with different actions, it is undefined.
// A lone policy decides straight into the tier.
func (c *tierCells) evaluate(group []*npav1alpha2.ClusterNetworkPolicy, rules map[*npav1alpha2.ClusterNetworkPolicy][]clusterRule, words int, g *groupCells) {
	if len(group) == 1 {
		for _, r := range rules[group[0]] {
			lo, hi := r.bits.span()
			accept, deny := actionCells(r.action)
			for _, class := range r.classes {
				for k := lo; k < hi; k++ {
					i := class*words + k
					fresh := r.bits[k] &^ c.decided[i]
					c.decided[i] |= fresh
					if accept {
						c.accept[i] |= fresh
					} else if deny {
						c.deny[i] |= fresh
					}
				}
			}
		}
		return
	}
	for _, p := range group {
		for _, r := range rules[p] {
			lo, hi := r.bits.span()
			accept, deny := actionCells(r.action)
			for _, class := range r.classes {
				for k := lo; k < hi; k++ {
					i := class*words + k
					fresh := r.bits[k] &^ c.decided[i] &^ g.own[i]
					if fresh == 0 {
						continue
					}
					g.own[i] |= fresh
					switch {
					case accept:
						g.undefined[i] |= fresh & (g.deny[i] | g.pass[i])
						g.accept[i] |= fresh
					case deny:
						g.undefined[i] |= fresh & (g.accept[i] | g.pass[i])
						g.deny[i] |= fresh
					default:
						g.undefined[i] |= fresh & (g.accept[i] | g.deny[i])
						g.pass[i] |= fresh
					}
				}
			}
		}
		for _, r := range rules[p] {
			lo, hi := r.bits.span()
			for _, class := range r.classes {
				clear(g.own[class*words+lo : class*words+hi])
			}
		}
	}
	for _, p := range group {
		for _, r := range rules[p] {
			lo, hi := r.bits.span()
			for _, class := range r.classes {
				for i := class*words + lo; i < class*words+hi; i++ {
					decided := g.accept[i] | g.deny[i] | g.pass[i]
					if decided == 0 {
						continue
					}
					u := g.undefined[i]
					c.undefined[i] |= u
					c.accept[i] |= g.accept[i] &^ u
					c.deny[i] |= g.deny[i] &^ u
					c.decided[i] |= decided
					g.accept[i], g.deny[i], g.pass[i], g.undefined[i] = 0, 0, 0, 0
				}
			}
		}
	}
}

// actionCells says whether a rule's action accepts or denies; Pass (and an
// action the oracle does not know) does neither and only ends the tier.
func actionCells(action npav1alpha2.ClusterNetworkPolicyRuleAction) (accept, deny bool) {
	switch action {
	case npav1alpha2.ClusterNetworkPolicyRuleActionAccept:
		return true, false
	case npav1alpha2.ClusterNetworkPolicyRuleActionDeny:
		return false, true
	case npav1alpha2.ClusterNetworkPolicyRuleActionPass:
		return false, mutation == mutationPassAsDeny
	}
	return false, false
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

// ingressRules turns a policy's ingress rules into the cells they cover: sources are
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
		out = append(out, clusterRule{action: r.Action, rows: peers, bits: bits})
	}
	return out
}

// egressRules turns a policy's egress rules into the cells they cover: sources are the
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
		out = append(out, clusterRule{action: r.Action, rows: subject, bits: bits})
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
