package truth

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"

	"github.com/netpolcheck/netpolcheck/scenarios"
	networkingv1 "k8s.io/api/networking/v1"
)

// Explanation is the oracle's account of one cell: the verdict, and for each
// side whether the pod is isolated, by which policies, and which rule let the
// traffic through.
type Explanation struct {
	// Allowed is the verdict: both sides allow.
	Allowed bool
	// Undefined marks a cell the API gives no single verdict (see
	// Cell.Undefined); Allowed is then false.
	Undefined bool
	// Loopback marks a pod talking to itself.
	Loopback bool
	// Egress is the source's side, Ingress the destination's.
	Egress, Ingress Side

	// from and to name the endpoints for String.
	from, to string
}

// Side is one direction's verdict for a cell.
type Side struct {
	// Applies is false for an external endpoint's side: policies never select
	// external hosts, so that side always allows.
	Applies bool
	// Isolated is true when some policy selects the pod for this direction.
	Isolated bool
	// IsolatedBy names ("ns/name") every policy that isolates the pod, in World order.
	IsolatedBy []string
	// AllowedBy is the first rule, in World order, that admits the traffic;
	// nil when nothing allowed it (or nothing had to).
	AllowedBy *RuleRef
	// Allowed is this side's verdict: not isolated, or some rule admits the traffic.
	Allowed bool
	// Tiers is the way through the ClusterNetworkPolicy tiers; nil when the
	// World has none, for an external host's side, and for loopback, which
	// ClusterNetworkPolicy does not govern.
	Tiers *TierPath
}

// RuleRef points at one rule of one policy, and at the peer and port of that
// rule that matched.
type RuleRef struct {
	// Policy is "ns/name".
	Policy string
	// Direction is "ingress" or "egress".
	Direction string
	// Rule indexes the policy's ingress or egress rules.
	Rule int
	// Peer indexes the rule's from or to list; -1 when the list is empty.
	Peer int
	// Port indexes the rule's ports; -1 when the rule has no ports.
	Port int
}

// Directions of a RuleRef.
const (
	DirectionIngress = "ingress"
	DirectionEgress  = "egress"
)

// cellEnd is one side of a cell as Explain sees it.
type cellEnd struct {
	id    string
	pod   *scenarios.Pod // nil for an external host
	addr  netip.Addr
	ports []scenarios.Port // an external host's; a pod's are pod.Ports
}

// Explain evaluates one cell, named as in Lookup, by walking every policy:
// the straightforward counterpart of Compute and the account printed beside
// each cell in reports. To explain many cells of one World, make an
// Explainer once.
func Explain(w *scenarios.World, from, to string, port int32, proto scenarios.Protocol) (Explanation, error) {
	return NewExplainer(w).Explain(from, to, port, proto)
}

// Explainer explains cells of one World. It looks endpoints and namespaces
// up by name, and remembers which policies select each pod, so that a cell
// costs a walk over the few policies isolating its two pods instead of over
// every policy; the matching itself is Explain's own, pod by pod. It is not
// safe for concurrent use, and the World must not change while it is used.
type Explainer struct {
	w        *scenarios.World
	ends     map[string]cellEnd
	nsLabels map[string]map[string]string
	// isolating holds, per pod and direction, the World indexes of the
	// policies that select the pod for that direction, in World order.
	isolating map[*scenarios.Pod]*isolation
	blocks    map[*networkingv1.IPBlock]ipBlockMatch
	rules     map[ruleKey][]rulePeers
	sides     map[sideOwner][]sideEntry
}

// isolation is, per direction (0 ingress, 1 egress), the World indexes and
// the "ns/name" of the policies that select one pod, in World order.
type isolation struct {
	indexes [2][]int
	names   [2][]string
}

type ruleKey struct {
	policy    int
	direction string
}

// sideOwner and sideEntry key one side's text by what it depends on: the
// endpoint (a pod's isolating policies follow from it), the direction, and
// the rule that decided. A pod has few deciding rules, so a short list beats
// hashing the rule.
type sideOwner struct {
	who    string
	egress bool
}

type sideEntry struct {
	decided bool
	by      RuleRef
	text    string
}

type ipBlockMatch struct {
	r  ipRange
	ok bool
}

// NewExplainer indexes w for Explain.
func NewExplainer(w *scenarios.World) *Explainer {
	x := &Explainer{
		w:         w,
		ends:      make(map[string]cellEnd, len(w.Pods)+len(w.ExternalHosts)),
		nsLabels:  make(map[string]map[string]string, len(w.Namespaces)),
		isolating: map[*scenarios.Pod]*isolation{},
		blocks:    map[*networkingv1.IPBlock]ipBlockMatch{},
		rules:     map[ruleKey][]rulePeers{},
		sides:     map[sideOwner][]sideEntry{},
	}
	// The first of a name wins, as in a walk in World order.
	for _, ns := range w.Namespaces {
		if _, ok := x.nsLabels[ns.Name]; !ok {
			x.nsLabels[ns.Name] = ns.Labels
		}
	}
	for i := range w.Pods {
		p := &w.Pods[i]
		if _, ok := x.ends[p.ID()]; !ok {
			x.ends[p.ID()] = cellEnd{id: p.ID(), pod: p, addr: parseAddr(p.IP)}
		}
	}
	for i := range w.ExternalHosts {
		h := &w.ExternalHosts[i]
		if _, ok := x.ends[h.Name]; !ok {
			x.ends[h.Name] = cellEnd{id: h.Name, addr: parseAddr(h.IP), ports: h.Ports}
		}
	}
	return x
}

// Explain explains one cell, named as in Lookup.
func (x *Explainer) Explain(from, to string, port int32, proto scenarios.Protocol) (Explanation, error) {
	e, err := x.explain(from, to, port, proto)
	// The isolating lists are the Explainer's own; the caller gets copies.
	e.Egress.IsolatedBy = slices.Clone(e.Egress.IsolatedBy)
	e.Ingress.IsolatedBy = slices.Clone(e.Ingress.IsolatedBy)
	return e, err
}

// ExplainString is Explain(...).String() and the verdict, for many cells:
// each side's text is rendered once per pod and deciding rule.
func (x *Explainer) ExplainString(from, to string, port int32, proto scenarios.Protocol) (text string, allowed bool, err error) {
	e, err := x.explain(from, to, port, proto)
	if err != nil {
		return "", false, err
	}
	egress := x.sideText(e.Egress, "egress from", e.from)
	ingress := x.sideText(e.Ingress, "ingress to", e.to)
	var b strings.Builder
	b.Grow(len(egress) + len(ingress) + 24)
	b.WriteString(e.verdictWord())
	b.WriteString(": ")
	b.WriteString(egress)
	b.WriteString("; ")
	b.WriteString(ingress)
	return b.String(), e.Allowed, nil
}

func (x *Explainer) sideText(s Side, direction, who string) string {
	if s.Tiers != nil {
		return s.describe(direction, who)
	}
	owner := sideOwner{who: who, egress: direction == "egress from"}
	entry := sideEntry{decided: s.AllowedBy != nil}
	if entry.decided {
		entry.by = *s.AllowedBy
	}
	entries := x.sides[owner]
	for _, e := range entries {
		if e.decided == entry.decided && e.by == entry.by {
			return e.text
		}
	}
	entry.text = s.describe(direction, who)
	x.sides[owner] = append(entries, entry)
	return entry.text
}

func (x *Explainer) explain(from, to string, port int32, proto scenarios.Protocol) (Explanation, error) {
	src, found := x.ends[from]
	if !found {
		return Explanation{}, fmt.Errorf("unknown source %q", from)
	}
	dst, found := x.ends[to]
	if !found {
		return Explanation{}, fmt.Errorf("unknown destination %q", to)
	}
	if src.pod == nil && dst.pod == nil {
		return Explanation{}, fmt.Errorf("no cell between external hosts %q and %q", from, to)
	}
	target, found := servedPort(dst, port, protocolOrTCP(proto))
	if !found {
		return Explanation{}, fmt.Errorf("%s does not serve %d/%s", to, port, protocolOrTCP(proto))
	}
	return x.explainCell(src, dst, target), nil
}

// servedPort finds the destination's own port, which carries its name.
func servedPort(dst cellEnd, port int32, proto scenarios.Protocol) (scenarios.Port, bool) {
	ports := dst.ports
	if dst.pod != nil {
		ports = dst.pod.Ports
	}
	for _, p := range ports {
		if p.Port == port && protocolOrTCP(p.Protocol) == proto {
			p.Protocol = proto
			return p, true
		}
	}
	return scenarios.Port{}, false
}

func (x *Explainer) explainCell(src, dst cellEnd, target scenarios.Port) Explanation {
	e := Explanation{
		Loopback: src.pod != nil && src.pod == dst.pod,
		from:     src.id,
		to:       dst.id,
		Egress:   Side{Allowed: true},
		Ingress:  Side{Allowed: true},
	}
	if src.pod != nil {
		e.Egress = x.explainSide(src.pod, DirectionEgress, func(r rulePeers) (*RuleRef, bool) {
			return x.matchRule(r, dst, dst, target)
		})
	}
	if dst.pod != nil {
		e.Ingress = x.explainSide(dst.pod, DirectionIngress, func(r rulePeers) (*RuleRef, bool) {
			return x.matchRule(r, src, dst, target)
		})
	}
	if len(x.w.ClusterPolicies) > 0 && !e.Loopback {
		if src.pod != nil {
			e.Egress = x.explainTiers(src.pod, DirectionEgress, dst, dst, target, e.Egress)
		}
		if dst.pod != nil {
			e.Ingress = x.explainTiers(dst.pod, DirectionIngress, src, dst, target, e.Ingress)
		}
		egressUndefined, ingressUndefined := e.Egress.Tiers.Undefined(), e.Ingress.Tiers.Undefined()
		egressBlocked := !e.Egress.Allowed && !egressUndefined
		ingressBlocked := !e.Ingress.Allowed && !ingressUndefined
		e.Undefined = (egressUndefined || ingressUndefined) && !egressBlocked && !ingressBlocked
	}
	e.Allowed = e.Egress.Allowed && e.Ingress.Allowed && !e.Undefined
	return e
}

// policiesIsolating returns the World indexes and names of the policies that
// select pod for direction, walking every policy once per pod.
func (x *Explainer) policiesIsolating(pod *scenarios.Pod, direction string) ([]int, []string) {
	iso, ok := x.isolating[pod]
	if !ok {
		iso = &isolation{}
		for i, p := range x.w.Policies {
			if p == nil || p.Namespace != pod.Namespace || !selectorMatches(&p.Spec.PodSelector, pod.Labels) {
				continue
			}
			ingress, egress := directions(p)
			for d, applies := range [2]bool{ingress, egress} {
				if applies {
					iso.indexes[d] = append(iso.indexes[d], i)
					iso.names[d] = append(iso.names[d], p.Namespace+"/"+p.Name)
				}
			}
		}
		x.isolating[pod] = iso
	}
	d := 1
	if direction == DirectionIngress {
		d = 0
	}
	return iso.indexes[d], iso.names[d]
}

// rulePeers is an ingress or egress rule with the peers on its far side.
type rulePeers struct {
	ref   RuleRef
	ns    string
	peers []networkingv1.NetworkPolicyPeer
	ports []networkingv1.NetworkPolicyPort
}

// explainSide walks every policy isolating pod in one direction and finds the
// first of their rules that match returns.
func (x *Explainer) explainSide(pod *scenarios.Pod, direction string, match func(rulePeers) (*RuleRef, bool)) Side {
	s := Side{Applies: true}
	indexes, names := x.policiesIsolating(pod, direction)
	s.Isolated = len(indexes) > 0
	if s.Isolated {
		s.IsolatedBy = names
	}
	for k, i := range indexes {
		p := x.w.Policies[i]
		name := names[k]
		if s.AllowedBy != nil {
			break
		}
		rk := ruleKey{policy: i, direction: direction}
		rules, ok := x.rules[rk]
		if !ok {
			rules = rulesOf(p, direction)
			x.rules[rk] = rules
		}
		for _, r := range rules {
			r.ref.Policy = name
			if ref, ok := match(r); ok {
				s.AllowedBy = ref
				break
			}
		}
	}
	s.Allowed = !s.Isolated || s.AllowedBy != nil
	return s
}

func rulesOf(p *networkingv1.NetworkPolicy, direction string) []rulePeers {
	var rules []rulePeers
	if direction == DirectionIngress {
		for i, r := range p.Spec.Ingress {
			rules = append(rules, rulePeers{ref: RuleRef{Direction: direction, Rule: i}, ns: p.Namespace, peers: r.From, ports: r.Ports})
		}
		return rules
	}
	for i, r := range p.Spec.Egress {
		rules = append(rules, rulePeers{ref: RuleRef{Direction: direction, Rule: i}, ns: p.Namespace, peers: r.To, ports: r.Ports})
	}
	return rules
}

// matchRule tells whether rule r admits peer, the endpoint on its far side,
// for the destination's port target; it names the first matching peer and port.
func (x *Explainer) matchRule(r rulePeers, peer, dst cellEnd, target scenarios.Port) (*RuleRef, bool) {
	ref := r.ref
	ref.Peer, ref.Port = -1, -1
	if len(r.peers) > 0 {
		for i := range r.peers {
			if x.peerMatches(r.ns, &r.peers[i], peer) {
				ref.Peer = i
				break
			}
		}
		if ref.Peer < 0 {
			return nil, false
		}
	}
	if len(r.ports) > 0 {
		for i := range r.ports {
			if portMatches(&r.ports[i], dst, target) {
				ref.Port = i
				break
			}
		}
		if ref.Port < 0 {
			return nil, false
		}
	}
	return &ref, true
}
