package truth

import (
	"cmp"
	"fmt"
	"net/netip"
	"slices"
	"strings"

	"github.com/netpolcheck/netpolcheck/scenarios"
	npav1alpha2 "sigs.k8s.io/network-policy-api/apis/v1alpha2"
)

// Explain's walk through the ClusterNetworkPolicy tiers, one cell at a time
// and straight from the API's wording; Compute does the same with rectangles
// of cells (tiers.go), and the two share nothing but the Go types.

// Tier names as explanations print them.
const (
	TierAdmin         = "Admin"
	TierNetworkPolicy = "NetworkPolicy"
	TierBaseline      = "Baseline"
	TierDefault       = "default"
)

// ClusterRuleRef is the rule of a ClusterNetworkPolicy that decided one
// direction of a cell in its tier.
type ClusterRuleRef struct {
	Tier     string
	Policy   string // "cnp/name", "anp/name" or "banp/name"
	Priority int32
	Rule     int    // index in the policy's ingress or egress rules
	Name     string // the rule's own name, if it has one
	Action   string // Accept, Deny or Pass
}

// String renders the reference as "Admin cnp/deny-all prio 10 rule 2 (name): Pass".
func (r ClusterRuleRef) String() string {
	name := ""
	if r.Name != "" {
		name = " (" + r.Name + ")"
	}
	return fmt.Sprintf("%s %s prio %d rule %d%s: %s", r.Tier, r.Policy, r.Priority, r.Rule, name, r.Action)
}

// TierPath is how one direction of a cell went through the tiers.
type TierPath struct {
	// Admin and Baseline are the rules that decided in those tiers; nil
	// when no rule of the tier matched or the tier was not reached.
	Admin, Baseline *ClusterRuleRef
	// Conflicts are the other rules, of policies with the decider's tier and
	// priority, that would decide the cell differently: the API leaves the
	// order of such policies open, so the direction is undefined.
	Conflicts []ClusterRuleRef
	// DecidedBy names the tier that decided: Admin, NetworkPolicy, Baseline
	// or default.
	DecidedBy string
}

// Undefined tells whether equal-priority policies leave the verdict open.
func (p *TierPath) Undefined() bool { return p != nil && len(p.Conflicts) > 0 }

// explainTiers decides one direction of a cell through the tiers. pod is the
// subject (the source for egress, the destination for ingress), far the
// endpoint on the other side, np the NetworkPolicy side computed as before.
func (x *Explainer) explainTiers(pod *scenarios.Pod, direction string, far, dst cellEnd, target scenarios.Port, np Side) Side {
	side := np
	path := &TierPath{}
	side.Tiers = path
	decide := func(ref *ClusterRuleRef, conflicts []ClusterRuleRef) bool {
		if ref == nil {
			return false
		}
		path.Conflicts = conflicts
		switch {
		case len(conflicts) > 0:
			side.Allowed = false
		case ref.Action == string(npav1alpha2.ClusterNetworkPolicyRuleActionAccept):
			side.Allowed = true
		case ref.Action == string(npav1alpha2.ClusterNetworkPolicyRuleActionDeny):
			side.Allowed = false
		default: // Pass goes on to the next tier
			return false
		}
		path.DecidedBy = ref.Tier
		return true
	}
	path.Admin, path.Conflicts = x.tierDecision(TierAdmin, pod, direction, far, dst, target)
	if decide(path.Admin, path.Conflicts) {
		return side
	}
	if np.Isolated {
		path.DecidedBy = TierNetworkPolicy
		return side
	}
	path.Baseline, path.Conflicts = x.tierDecision(TierBaseline, pod, direction, far, dst, target)
	if decide(path.Baseline, path.Conflicts) {
		return side
	}
	path.DecidedBy = TierDefault
	side.Allowed = true
	return side
}

// tierDecision walks one tier's policies by priority and returns the first
// rule that matches, with the differing rules of other policies at the same
// priority.
func (x *Explainer) tierDecision(tier string, pod *scenarios.Pod, direction string, far, dst cellEnd, target scenarios.Port) (*ClusterRuleRef, []ClusterRuleRef) {
	var candidates []*npav1alpha2.ClusterNetworkPolicy
	for _, p := range x.w.ClusterPolicies {
		if p != nil && string(p.Spec.Tier) == tier && x.clusterSubjectHas(p, pod) {
			candidates = append(candidates, p)
		}
	}
	slices.SortStableFunc(candidates, func(a, b *npav1alpha2.ClusterNetworkPolicy) int {
		return cmp.Or(cmp.Compare(a.Spec.Priority, b.Spec.Priority), cmp.Compare(a.Name, b.Name))
	})
	var first *ClusterRuleRef
	var conflicts []ClusterRuleRef
	for _, p := range candidates {
		if first != nil && p.Spec.Priority != first.Priority {
			break
		}
		ref := x.firstClusterRule(tier, p, direction, far, dst, target)
		switch {
		case ref == nil:
		case first == nil:
			first = ref
		case ref.Action != first.Action:
			conflicts = append(conflicts, *ref)
		}
	}
	return first, conflicts
}

// firstClusterRule is the first rule of p, in the direction, that matches.
func (x *Explainer) firstClusterRule(tier string, p *npav1alpha2.ClusterNetworkPolicy, direction string, far, dst cellEnd, target scenarios.Port) *ClusterRuleRef {
	ref := func(i int, name string, action npav1alpha2.ClusterNetworkPolicyRuleAction) *ClusterRuleRef {
		return &ClusterRuleRef{Tier: tier, Policy: policyRef(p), Priority: p.Spec.Priority, Rule: i, Name: name, Action: string(action)}
	}
	if direction == DirectionIngress {
		for i, r := range p.Spec.Ingress {
			if x.anyIngressPeer(r.From, r.Action, far) && protocolsMatch(r.Protocols, dst, target) {
				return ref(i, r.Name, r.Action)
			}
		}
		return nil
	}
	for i, r := range p.Spec.Egress {
		if x.anyEgressPeer(r.To, r.Action, far) && protocolsMatch(r.Protocols, dst, target) {
			return ref(i, r.Name, r.Action)
		}
	}
	return nil
}

// clusterSubjectHas tells whether a policy's subject holds the pod. A
// subject that sets neither field, or both, holds nothing.
func (x *Explainer) clusterSubjectHas(p *npav1alpha2.ClusterNetworkPolicy, pod *scenarios.Pod) bool {
	s := p.Spec.Subject
	if (s.Namespaces == nil) == (s.Pods == nil) {
		return false
	}
	if s.Namespaces != nil {
		return selectorMatches(s.Namespaces, x.nsLabels[pod.Namespace])
	}
	return selectorMatches(&s.Pods.NamespaceSelector, x.nsLabels[pod.Namespace]) && selectorMatches(&s.Pods.PodSelector, pod.Labels)
}

// failsClosed is what a peer with no field Explain knows matches: for
// Accept nothing, for Deny and Pass everything.
func failsClosed(action npav1alpha2.ClusterNetworkPolicyRuleAction) bool {
	return action != npav1alpha2.ClusterNetworkPolicyRuleActionAccept
}

func (x *Explainer) anyIngressPeer(peers []npav1alpha2.ClusterNetworkPolicyIngressPeer, action npav1alpha2.ClusterNetworkPolicyRuleAction, e cellEnd) bool {
	for _, peer := range peers {
		switch {
		case (peer.Namespaces == nil) == (peer.Pods == nil):
			if failsClosed(action) {
				return true
			}
		case e.pod == nil:
		case peer.Namespaces != nil:
			if selectorMatches(peer.Namespaces, x.nsLabels[e.pod.Namespace]) {
				return true
			}
		default:
			if selectorMatches(&peer.Pods.NamespaceSelector, x.nsLabels[e.pod.Namespace]) && selectorMatches(&peer.Pods.PodSelector, e.pod.Labels) {
				return true
			}
		}
	}
	return false
}

func (x *Explainer) anyEgressPeer(peers []npav1alpha2.ClusterNetworkPolicyEgressPeer, action npav1alpha2.ClusterNetworkPolicyRuleAction, e cellEnd) bool {
	for _, peer := range peers {
		fields := 0
		for _, set := range []bool{peer.Namespaces != nil, peer.Pods != nil, peer.Nodes != nil, peer.Networks != nil, peer.DomainNames != nil} {
			if set {
				fields++
			}
		}
		switch {
		case fields != 1:
			if failsClosed(action) {
				return true
			}
		case peer.Networks != nil:
			for _, c := range peer.Networks {
				if pfx, err := netip.ParsePrefix(string(c)); err == nil && e.addr.IsValid() && pfx.Masked().Contains(e.addr) {
					return true
				}
			}
		case e.pod == nil:
			// Namespaces and pods select pods; nodes select node addresses,
			// which no endpoint of the World has; domain names match names.
		case peer.Namespaces != nil:
			if selectorMatches(peer.Namespaces, x.nsLabels[e.pod.Namespace]) {
				return true
			}
		case peer.Pods != nil:
			if selectorMatches(&peer.Pods.NamespaceSelector, x.nsLabels[e.pod.Namespace]) && selectorMatches(&peer.Pods.PodSelector, e.pod.Labels) {
				return true
			}
		}
	}
	return false
}

// protocolsMatch tells whether a rule's protocols admit the destination's
// served port; none listed admits every port. A named port is the
// destination pod's own port name.
func protocolsMatch(protocols []npav1alpha2.ClusterNetworkPolicyProtocol, dst cellEnd, target scenarios.Port) bool {
	if len(protocols) == 0 {
		return true
	}
	for _, p := range protocols {
		var want scenarios.Protocol
		var port *npav1alpha2.Port
		switch {
		case p.TCP != nil:
			want, port = scenarios.TCP, p.TCP.DestinationPort
		case p.UDP != nil:
			want, port = scenarios.UDP, p.UDP.DestinationPort
		case p.SCTP != nil:
			want, port = scenarios.SCTP, p.SCTP.DestinationPort
		case p.DestinationNamedPort != "":
			if dst.pod != nil && target.Name == p.DestinationNamedPort {
				return true
			}
			continue
		default:
			continue
		}
		if protocolOrTCP(target.Protocol) != want {
			continue
		}
		if port == nil ||
			(port.Range == nil && port.Number == target.Port) ||
			(port.Range != nil && target.Port >= port.Range.Start && target.Port <= port.Range.End) {
			return true
		}
	}
	return false
}

// describeTiers renders a side that went through the tiers, e.g. "egress
// from x/a: Admin cnp/deny prio 10 rule 2: Pass → NetworkPolicy isolated by
// x/allow, allowed by x/allow egress rule 0, any peer, any port".
func (s Side) describeTiers(subject string) string {
	p := s.Tiers
	var steps []string
	if p.Admin != nil {
		steps = append(steps, p.Admin.String())
	}
	switch p.DecidedBy {
	case TierNetworkPolicy:
		np := s
		np.Tiers = nil
		steps = append(steps, TierNetworkPolicy+" "+strings.TrimPrefix(np.describe("", ""), " "))
	case TierBaseline, TierDefault:
		steps = append(steps, TierNetworkPolicy+" not isolated")
		if p.Baseline != nil {
			steps = append(steps, p.Baseline.String())
		}
	}
	if p.DecidedBy == TierDefault {
		steps = append(steps, "default: allowed")
	}
	text := subject + ": " + strings.Join(steps, " → ")
	if len(p.Conflicts) > 0 {
		var others []string
		for _, c := range p.Conflicts {
			others = append(others, c.String())
		}
		text += " — undefined: equal priority with " + strings.Join(others, ", ")
	}
	return text
}

// policyRef names a cluster policy by the short name of its kind, as
// kubectl does: cnp/NAME, anp/NAME, banp/NAME.
func policyRef(p *npav1alpha2.ClusterNetworkPolicy) string {
	switch scenarios.TieredKind(p) {
	case scenarios.AdminNetworkPolicyKind:
		return "anp/" + p.Name
	case scenarios.BaselineAdminNetworkPolicyKind:
		return "banp/" + p.Name
	}
	return "cnp/" + p.Name
}
