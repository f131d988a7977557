package truth

import (
	"net/netip"

	"github.com/netpolcheck/netpolcheck/scenarios"
	networkingv1 "k8s.io/api/networking/v1"
)

// The few rules below are shared by Compute and Explain: each is a line or
// two and table-tested on its own, while everything with room for a subtle
// mistake (selectors, peers, ports, the union of rules) is written twice.

// directions tells which ways a policy isolates the pods it selects. Omitted
// policyTypes default as the API server defaults them: Ingress always, Egress
// when the policy has egress rules.
func directions(p *networkingv1.NetworkPolicy) (ingress, egress bool) {
	if len(p.Spec.PolicyTypes) == 0 {
		return true, len(p.Spec.Egress) > 0
	}
	for _, t := range p.Spec.PolicyTypes {
		switch t {
		case networkingv1.PolicyTypeIngress:
			ingress = true
		case networkingv1.PolicyTypeEgress:
			egress = true
		}
	}
	return ingress, egress
}

// Directions tells which ways a policy isolates the pods it selects, with
// the API server's defaulting of omitted policyTypes: the oracle's own rule,
// for whoever needs to say what a policy does (the runner's step features).
func Directions(p *networkingv1.NetworkPolicy) (ingress, egress bool) { return directions(p) }

// protocolOrTCP applies the API's default protocol.
func protocolOrTCP(p scenarios.Protocol) scenarios.Protocol {
	if p == "" {
		return scenarios.TCP
	}
	return p
}

// ipRange is a parsed ipBlock: addresses inside cidr and outside every except.
type ipRange struct {
	cidr   netip.Prefix
	except []netip.Prefix
}

// parseIPBlock parses an ipBlock; ok is false when any prefix does not parse,
// and such a block matches nothing.
func parseIPBlock(b *networkingv1.IPBlock) (r ipRange, ok bool) {
	cidr, err := netip.ParsePrefix(b.CIDR)
	if err != nil {
		return ipRange{}, false
	}
	r.cidr = cidr.Masked()
	for _, e := range b.Except {
		p, err := netip.ParsePrefix(e)
		if err != nil {
			return ipRange{}, false
		}
		r.except = append(r.except, p.Masked())
	}
	return r, true
}

func (r ipRange) contains(a netip.Addr) bool {
	if !a.IsValid() || !r.cidr.Contains(a) {
		return false
	}
	for _, e := range r.except {
		if e.Contains(a) {
			return false
		}
	}
	return true
}

// parseAddr parses an endpoint address; an empty or malformed one is the zero
// Addr, which no ipBlock contains.
func parseAddr(s string) netip.Addr {
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Addr{}
	}
	return a.Unmap()
}
