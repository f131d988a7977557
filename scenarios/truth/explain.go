package truth

import (
	"fmt"
	"net/netip"

	"github.com/netpolcheck/netpolcheck/scenarios"
	networkingv1 "k8s.io/api/networking/v1"
)

// Explanation is the oracle's account of one cell: the verdict, and for each
// side whether the pod is isolated, by which policies, and which rule let the
// traffic through.
type Explanation struct {
	// Allowed is the verdict: both sides allow.
	Allowed bool
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
	id   string
	pod  *scenarios.Pod // nil for an external host
	addr netip.Addr
}

// Explain evaluates one cell, named as in Lookup, by walking every policy:
// the straightforward counterpart of Compute and the account printed beside
// each cell in reports.
func Explain(w *scenarios.World, from, to string, port int32, proto scenarios.Protocol) (Explanation, error) {
	src, found := findEnd(w, from)
	if !found {
		return Explanation{}, fmt.Errorf("unknown source %q", from)
	}
	dst, found := findEnd(w, to)
	if !found {
		return Explanation{}, fmt.Errorf("unknown destination %q", to)
	}
	if src.pod == nil && dst.pod == nil {
		return Explanation{}, fmt.Errorf("no cell between external hosts %q and %q", from, to)
	}
	target, found := servedPort(w, dst, port, protocolOrTCP(proto))
	if !found {
		return Explanation{}, fmt.Errorf("%s does not serve %d/%s", to, port, protocolOrTCP(proto))
	}
	return explainCell(w, src, dst, target), nil
}

// findEnd looks an endpoint up by name, pods first, as TruthTable orders them.
func findEnd(w *scenarios.World, id string) (cellEnd, bool) {
	for i := range w.Pods {
		if p := &w.Pods[i]; p.ID() == id {
			return cellEnd{id: id, pod: p, addr: parseAddr(p.IP)}, true
		}
	}
	for _, h := range w.ExternalHosts {
		if h.Name == id {
			return cellEnd{id: id, addr: parseAddr(h.IP)}, true
		}
	}
	return cellEnd{}, false
}

// servedPort finds the destination's own port, which carries its name.
func servedPort(w *scenarios.World, dst cellEnd, port int32, proto scenarios.Protocol) (scenarios.Port, bool) {
	var ports []scenarios.Port
	if dst.pod != nil {
		ports = dst.pod.Ports
	} else {
		for _, h := range w.ExternalHosts {
			if h.Name == dst.id {
				ports = h.Ports
				break
			}
		}
	}
	for _, p := range ports {
		if p.Port == port && protocolOrTCP(p.Protocol) == proto {
			p.Protocol = proto
			return p, true
		}
	}
	return scenarios.Port{}, false
}

func explainCell(w *scenarios.World, src, dst cellEnd, target scenarios.Port) Explanation {
	e := Explanation{
		Loopback: src.pod != nil && src.pod == dst.pod,
		from:     src.id,
		to:       dst.id,
		Egress:   Side{Allowed: true},
		Ingress:  Side{Allowed: true},
	}
	if src.pod != nil {
		e.Egress = explainSide(w, src.pod, DirectionEgress, func(r rulePeers) (*RuleRef, bool) {
			return matchRule(w, r, dst, dst, target)
		})
	}
	if dst.pod != nil {
		e.Ingress = explainSide(w, dst.pod, DirectionIngress, func(r rulePeers) (*RuleRef, bool) {
			return matchRule(w, r, src, dst, target)
		})
	}
	e.Allowed = e.Egress.Allowed && e.Ingress.Allowed
	return e
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
func explainSide(w *scenarios.World, pod *scenarios.Pod, direction string, match func(rulePeers) (*RuleRef, bool)) Side {
	s := Side{Applies: true}
	for _, p := range w.Policies {
		if p == nil || p.Namespace != pod.Namespace {
			continue
		}
		ingress, egress := directions(p)
		if (direction == DirectionIngress && !ingress) || (direction == DirectionEgress && !egress) {
			continue
		}
		if !selectorMatches(&p.Spec.PodSelector, pod.Labels) {
			continue
		}
		name := p.Namespace + "/" + p.Name
		s.Isolated = true
		s.IsolatedBy = append(s.IsolatedBy, name)
		if s.AllowedBy != nil {
			continue
		}
		for _, r := range rulesOf(p, direction) {
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
func matchRule(w *scenarios.World, r rulePeers, peer, dst cellEnd, target scenarios.Port) (*RuleRef, bool) {
	ref := r.ref
	ref.Peer, ref.Port = -1, -1
	if len(r.peers) > 0 {
		for i := range r.peers {
			if peerMatches(w, r.ns, &r.peers[i], peer) {
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
