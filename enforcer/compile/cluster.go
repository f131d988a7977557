package compile

import (
	"cmp"
	"fmt"
	"net/netip"
	"slices"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	npav1alpha2 "sigs.k8s.io/network-policy-api/apis/v1alpha2"
)

// clusterPolicy is a ClusterNetworkPolicy with its subject parsed and its
// rules' peers resolved against the cluster.
type clusterPolicy struct {
	name     string
	baseline bool
	priority int32
	// serial names the compiled policy in cache keys, as policy.serial does.
	serial uint64
	// subjectNamespaces selects the namespaces whose pods are subjects;
	// subjectPods, when set, narrows them to the matching pods.
	subjectNamespaces labels.Selector
	subjectPods       labels.Selector
	ingress, egress   []clusterRule
}

// clusterRule is one rule: what it does to the traffic it matches, and
// which remote addresses and ports that traffic has.
type clusterRule struct {
	// ref numbers the rule in Tables.Rules, from 1.
	ref    uint32
	action npav1alpha2.ClusterNetworkPolicyRuleAction
	peers  peerSet
	// ports are the numeric ports; named are destinationNamedPort names,
	// which mean each destination pod's own container port.
	ports portSet
	named []string
}

// Tier names, as drop records and Tables.Rules give them.
const (
	tierAdmin    = "Admin"
	tierBaseline = "Baseline"
)

// sortClusterPolicies lists the policies in the order the tiers evaluate
// them: Admin before Baseline, then lower priority first. The API leaves
// the order of equal priorities undefined; by name keeps it stable.
func sortClusterPolicies(in []*npav1alpha2.ClusterNetworkPolicy) []*npav1alpha2.ClusterNetworkPolicy {
	sorted := make([]*npav1alpha2.ClusterNetworkPolicy, 0, len(in))
	for _, p := range in {
		if p != nil {
			sorted = append(sorted, p)
		}
	}
	slices.SortFunc(sorted, func(a, b *npav1alpha2.ClusterNetworkPolicy) int {
		aBase, bBase := a.Spec.Tier == npav1alpha2.BaselineTier, b.Spec.Tier == npav1alpha2.BaselineTier
		if aBase != bBase {
			if aBase {
				return 1
			}
			return -1
		}
		if c := cmp.Compare(a.Spec.Priority, b.Spec.Priority); c != 0 {
			return c
		}
		return strings.Compare(a.Name, b.Name)
	})
	return sorted
}

// compileClusterPolicies compiles the sorted policies, numbering their
// rules in Tables.Rules order. It fails only on what the CRD refuses too:
// an unknown tier, action or protocol, or a malformed CIDR.
func compileClusterPolicies(c *cluster, sorted []*npav1alpha2.ClusterNetworkPolicy, serial *uint64) ([]*clusterPolicy, []RuleRef, error) {
	var out []*clusterPolicy
	var refs []RuleRef
	for _, cnp := range sorted {
		p, err := compileClusterPolicy(c, cnp, &refs)
		if err != nil {
			return nil, nil, fmt.Errorf("ClusterNetworkPolicy %s: %w", cnp.Name, err)
		}
		*serial++
		p.serial = *serial
		out = append(out, p)
	}
	return out, refs, nil
}

func compileClusterPolicy(c *cluster, cnp *npav1alpha2.ClusterNetworkPolicy, refs *[]RuleRef) (*clusterPolicy, error) {
	p := &clusterPolicy{name: cnp.Name, priority: cnp.Spec.Priority}
	switch cnp.Spec.Tier {
	case npav1alpha2.AdminTier:
	case npav1alpha2.BaselineTier:
		p.baseline = true
	default:
		return nil, fmt.Errorf("tier %q is neither Admin nor Baseline", cnp.Spec.Tier)
	}
	subject := cnp.Spec.Subject
	switch {
	case subject.Namespaces != nil && subject.Pods == nil:
		p.subjectNamespaces = c.lenientSelector(subject.Namespaces)
	case subject.Pods != nil && subject.Namespaces == nil:
		p.subjectNamespaces = c.lenientSelector(&subject.Pods.NamespaceSelector)
		p.subjectPods = c.lenientSelector(&subject.Pods.PodSelector)
	default:
		return nil, fmt.Errorf("subject must set exactly one of namespaces and pods")
	}
	tier := tierAdmin
	if p.baseline {
		tier = tierBaseline
	}
	ref := func(direction string, i int, name string, action npav1alpha2.ClusterNetworkPolicyRuleAction) uint32 {
		*refs = append(*refs, RuleRef{Tier: tier, Policy: cnp.Name, Priority: cnp.Spec.Priority, Direction: direction, Rule: i, Name: name, Action: string(action)})
		return uint32(len(*refs))
	}
	for i, r := range cnp.Spec.Ingress {
		peers := make([]npav1alpha2.ClusterNetworkPolicyEgressPeer, len(r.From))
		for j, from := range r.From {
			peers[j] = npav1alpha2.ClusterNetworkPolicyEgressPeer{Namespaces: from.Namespaces, Pods: from.Pods}
		}
		rule, err := compileClusterRule(c, r.Action, peers, r.Protocols)
		if err != nil {
			return nil, fmt.Errorf("ingress rule %d: %w", i, err)
		}
		rule.ref = ref("Ingress", i, r.Name, r.Action)
		p.ingress = append(p.ingress, rule)
	}
	for i, r := range cnp.Spec.Egress {
		rule, err := compileClusterRule(c, r.Action, r.To, r.Protocols)
		if err != nil {
			return nil, fmt.Errorf("egress rule %d: %w", i, err)
		}
		rule.ref = ref("Egress", i, r.Name, r.Action)
		p.egress = append(p.egress, rule)
	}
	return p, nil
}

func compileClusterRule(c *cluster, action npav1alpha2.ClusterNetworkPolicyRuleAction, peers []npav1alpha2.ClusterNetworkPolicyEgressPeer, protocols []npav1alpha2.ClusterNetworkPolicyProtocol) (clusterRule, error) {
	switch action {
	case npav1alpha2.ClusterNetworkPolicyRuleActionAccept, npav1alpha2.ClusterNetworkPolicyRuleActionDeny, npav1alpha2.ClusterNetworkPolicyRuleActionPass:
	default:
		return clusterRule{}, fmt.Errorf("action %q is none of Accept, Deny, Pass", action)
	}
	r := clusterRule{action: action}
	if len(protocols) == 0 {
		// "If unspecified, protocol-specific attributes will not be used
		// to match traffic": every protocol and port.
		r.ports = anyPort()
	}
	for i, proto := range protocols {
		if err := r.addProtocol(proto); err != nil {
			return clusterRule{}, fmt.Errorf("protocols[%d]: %w", i, err)
		}
	}
	seen := map[string]bool{}
	for i, peer := range peers {
		set, failClosed, err := c.clusterPeer(&peer)
		if err != nil {
			return clusterRule{}, fmt.Errorf("peer %d: %w", i, err)
		}
		if failClosed {
			// A peer with no field this enforcer knows comes from a newer
			// CRD. The API says to fail closed: an Accept rule matches
			// nothing through it, a Deny or Pass rule denies everything.
			if action == npav1alpha2.ClusterNetworkPolicyRuleActionAccept {
				continue
			}
			r.action = npav1alpha2.ClusterNetworkPolicyRuleActionDeny
			r.ports = anyPort()
			r.named = nil
			set = everyone(c)
		}
		r.peers.prefixes = append(r.peers.prefixes, set.prefixes...)
		for _, p := range set.pods {
			if !seen[p.key] {
				seen[p.key] = true
				r.peers.pods = append(r.peers.pods, p)
			}
		}
	}
	return r, nil
}

// addProtocol adds one protocols entry to the rule's ports.
func (r *clusterRule) addProtocol(proto npav1alpha2.ClusterNetworkPolicyProtocol) error {
	var protocol Protocol
	var port *npav1alpha2.Port
	switch {
	case proto.TCP != nil:
		protocol, port = TCP, proto.TCP.DestinationPort
	case proto.UDP != nil:
		protocol, port = UDP, proto.UDP.DestinationPort
	case proto.SCTP != nil:
		protocol, port = SCTP, proto.SCTP.DestinationPort
	case proto.DestinationNamedPort != "":
		r.named = append(r.named, proto.DestinationNamedPort)
		return nil
	default:
		return fmt.Errorf("sets none of tcp, udp, sctp, destinationNamedPort")
	}
	lo, hi := int32(0), int32(65535)
	if port != nil && port.Range != nil {
		lo, hi = port.Range.Start, port.Range.End
	} else if port != nil {
		lo, hi = port.Number, port.Number
	}
	if lo < 0 || hi > 65535 || hi < lo {
		return fmt.Errorf("port range %d-%d outside 0-65535", lo, hi)
	}
	r.ports.add(protocol, uint16(lo), uint16(hi))
	return nil
}

// lenientSelector parses a selector of a ClusterNetworkPolicy. The CRD
// lets through selectors apimachinery refuses (an operator spelled "in");
// such a selector selects nothing, rather than failing every other
// policy's enforcement with it.
func (c *cluster) lenientSelector(ls *metav1.LabelSelector) labels.Selector {
	sel, err := c.selectors.parse(ls)
	if err != nil {
		return labels.Nothing()
	}
	return sel
}

// clusterPeer resolves one peer of a cluster policy rule. failClosed is set
// for a peer with none of the fields this enforcer reads.
func (c *cluster) clusterPeer(peer *npav1alpha2.ClusterNetworkPolicyEgressPeer) (set peerSet, failClosed bool, err error) {
	switch {
	case peer.Namespaces != nil:
		return c.podsOf(c.lenientSelector(peer.Namespaces), nil), false, nil
	case peer.Pods != nil:
		return c.podsOf(c.lenientSelector(&peer.Pods.NamespaceSelector), c.lenientSelector(&peer.Pods.PodSelector)), false, nil
	case len(peer.Networks) > 0:
		for _, n := range peer.Networks {
			prefix, err := netip.ParsePrefix(string(n))
			if err != nil {
				return peerSet{}, false, fmt.Errorf("network %q: %w", n, err)
			}
			// The datapath carries IPv4 only.
			if prefix.Addr().Is4() {
				set.prefixes = append(set.prefixes, prefix.Masked())
			}
		}
		for _, p := range c.pods {
			if containsAny(set.prefixes, p.ip) {
				set.pods = append(set.pods, p)
			}
		}
		return set, false, nil
	case peer.Nodes != nil, len(peer.DomainNames) > 0:
		// Experimental peers this enforcer does not resolve: node
		// addresses and DNS answers. They match no address here.
		return peerSet{}, false, nil
	}
	return peerSet{}, true, nil
}

// podsOf lists the pods in namespaces that nsSel matches and, when podSel
// is set, whose labels it matches.
func (c *cluster) podsOf(nsSel, podSel labels.Selector) peerSet {
	var set peerSet
	for _, ns := range c.podNamespaces {
		if !nsSel.Matches(c.namespaceLabels(ns)) {
			continue
		}
		for _, p := range c.byNamespace[ns] {
			if podSel == nil || podSel.Matches(p.labels) {
				set.prefixes = append(set.prefixes, netip.PrefixFrom(p.ip, 32))
				set.pods = append(set.pods, p)
			}
		}
	}
	return set
}

// selects tells whether the policy's subject is the endpoint.
func (p *clusterPolicy) selects(c *cluster, ep *pod) bool {
	if !p.subjectNamespaces.Matches(c.namespaceLabels(ep.namespace)) {
		return false
	}
	return p.subjectPods == nil || p.subjectPods.Matches(ep.labels)
}

// namedPorts is what destinationNamedPort names mean on a destination pod:
// its container ports of those names, whatever their protocol.
func namedPorts(names []string, destination *pod) portSet {
	var out portSet
	for _, cp := range destination.ports {
		if cp.Name == "" || !slices.Contains(names, cp.Name) || cp.ContainerPort < 1 || cp.ContainerPort > 65535 {
			continue
		}
		protocol := TCP
		switch cp.Protocol {
		case "UDP":
			protocol = UDP
		case "SCTP":
			protocol = SCTP
		}
		out.add(protocol, uint16(cp.ContainerPort), uint16(cp.ContainerPort))
	}
	return out
}
