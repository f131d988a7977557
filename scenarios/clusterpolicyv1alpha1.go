package scenarios

import (
	"fmt"
	"maps"
	"slices"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	npav1alpha1 "sigs.k8s.io/network-policy-api/apis/v1alpha1"
	npav1alpha2 "sigs.k8s.io/network-policy-api/apis/v1alpha2"
)

// The v1alpha1 AdminNetworkPolicy and BaselineAdminNetworkPolicy on the
// tiers of ClusterNetworkPolicy:
//
//   - An AdminNetworkPolicy is an Admin tier policy of the same priority;
//     its actions Allow, Deny and Pass are Accept, Deny and Pass.
//   - The BaselineAdminNetworkPolicy (the singleton named "default") is a
//     Baseline tier policy; Allow and Deny are Accept and Deny. It has no
//     priority: it takes BaselineAdminPriority, after every Baseline
//     ClusterNetworkPolicy but the ones at 1000, with which it would be
//     undefined (no cluster defines a mix of both APIs).
//   - Ports become protocols: portNumber and portRange (protocol TCP when
//     omitted, as the CRD defaults it) are destinationPort number and range,
//     namedPort is destinationNamedPort.

// BaselineAdminPriority is the priority the BaselineAdminNetworkPolicy
// takes in the Baseline tier.
const BaselineAdminPriority = 1000

// The limits of the v1alpha1 CRDs.
const maxAdminRules = 100 // rules per direction, and peers per rule

// Tiered is the policy as the Admin or Baseline tier sees it, in
// ClusterNetworkPolicy form; its kind says which object it came from.
func (p *ClusterPolicy) Tiered() *npav1alpha2.ClusterNetworkPolicy {
	out := &npav1alpha2.ClusterNetworkPolicy{}
	out.Kind, out.APIVersion = p.Kind(), clusterPolicyAPIVersions[p.Kind()][0]
	switch {
	case p.ClusterNetworkPolicy != nil:
		out = p.ClusterNetworkPolicy.DeepCopy()
		out.Kind = ClusterNetworkPolicyKind
	case p.AdminNetworkPolicy != nil:
		a := p.AdminNetworkPolicy
		out.ObjectMeta = *a.ObjectMeta.DeepCopy()
		out.Spec.Tier, out.Spec.Priority = npav1alpha2.AdminTier, a.Spec.Priority
		out.Spec.Subject = tieredSubject(a.Spec.Subject)
		for _, r := range a.Spec.Ingress {
			out.Spec.Ingress = append(out.Spec.Ingress, npav1alpha2.ClusterNetworkPolicyIngressRule{
				Name: r.Name, Action: tieredAction(string(r.Action)), From: tieredIngressPeers(r.From), Protocols: tieredPorts(r.Ports),
			})
		}
		for _, r := range a.Spec.Egress {
			out.Spec.Egress = append(out.Spec.Egress, npav1alpha2.ClusterNetworkPolicyEgressRule{
				Name: r.Name, Action: tieredAction(string(r.Action)), To: tieredEgressPeers(r.To), Protocols: tieredPorts(r.Ports),
			})
		}
	case p.BaselineAdminNetworkPolicy != nil:
		b := p.BaselineAdminNetworkPolicy
		out.ObjectMeta = *b.ObjectMeta.DeepCopy()
		out.Spec.Tier, out.Spec.Priority = npav1alpha2.BaselineTier, BaselineAdminPriority
		out.Spec.Subject = tieredSubject(b.Spec.Subject)
		for _, r := range b.Spec.Ingress {
			out.Spec.Ingress = append(out.Spec.Ingress, npav1alpha2.ClusterNetworkPolicyIngressRule{
				Name: r.Name, Action: tieredAction(string(r.Action)), From: tieredIngressPeers(r.From), Protocols: tieredPorts(r.Ports),
			})
		}
		for _, r := range b.Spec.Egress {
			var to []npav1alpha1.AdminNetworkPolicyEgressPeer
			for _, peer := range r.To {
				to = append(to, npav1alpha1.AdminNetworkPolicyEgressPeer{Namespaces: peer.Namespaces, Pods: peer.Pods, Nodes: peer.Nodes, Networks: peer.Networks})
			}
			out.Spec.Egress = append(out.Spec.Egress, npav1alpha2.ClusterNetworkPolicyEgressRule{
				Name: r.Name, Action: tieredAction(string(r.Action)), To: tieredEgressPeers(to), Protocols: tieredPorts(r.Ports),
			})
		}
	}
	out.Namespace = ""
	return out
}

// tieredAction maps Allow to Accept; Deny and Pass keep their names, and
// anything else stays as written (the checks refuse it).
func tieredAction(a string) npav1alpha2.ClusterNetworkPolicyRuleAction {
	if a == "Allow" {
		return npav1alpha2.ClusterNetworkPolicyRuleActionAccept
	}
	return npav1alpha2.ClusterNetworkPolicyRuleAction(a)
}

func tieredNamespacedPod(p *npav1alpha1.NamespacedPod) *npav1alpha2.NamespacedPod {
	if p == nil {
		return nil
	}
	return &npav1alpha2.NamespacedPod{NamespaceSelector: *p.NamespaceSelector.DeepCopy(), PodSelector: *p.PodSelector.DeepCopy()}
}

func tieredSubject(s npav1alpha1.AdminNetworkPolicySubject) npav1alpha2.ClusterNetworkPolicySubject {
	return npav1alpha2.ClusterNetworkPolicySubject{Namespaces: s.Namespaces.DeepCopy(), Pods: tieredNamespacedPod(s.Pods)}
}

func tieredIngressPeers(peers []npav1alpha1.AdminNetworkPolicyIngressPeer) []npav1alpha2.ClusterNetworkPolicyIngressPeer {
	out := make([]npav1alpha2.ClusterNetworkPolicyIngressPeer, 0, len(peers))
	for _, p := range peers {
		out = append(out, npav1alpha2.ClusterNetworkPolicyIngressPeer{Namespaces: p.Namespaces.DeepCopy(), Pods: tieredNamespacedPod(p.Pods)})
	}
	return out
}

func tieredEgressPeers(peers []npav1alpha1.AdminNetworkPolicyEgressPeer) []npav1alpha2.ClusterNetworkPolicyEgressPeer {
	out := make([]npav1alpha2.ClusterNetworkPolicyEgressPeer, 0, len(peers))
	for _, p := range peers {
		q := npav1alpha2.ClusterNetworkPolicyEgressPeer{Namespaces: p.Namespaces.DeepCopy(), Pods: tieredNamespacedPod(p.Pods), Nodes: p.Nodes.DeepCopy()}
		if p.Networks != nil {
			q.Networks = []npav1alpha2.CIDR{}
			for _, c := range p.Networks {
				q.Networks = append(q.Networks, npav1alpha2.CIDR(c))
			}
		}
		if p.DomainNames != nil {
			q.DomainNames = []npav1alpha2.DomainName{}
			for _, n := range p.DomainNames {
				q.DomainNames = append(q.DomainNames, npav1alpha2.DomainName(n))
			}
		}
		out = append(out, q)
	}
	return out
}

// tieredPorts turns v1alpha1 ports into protocols. No ports, or an empty
// list, matches every port.
func tieredPorts(ports *[]npav1alpha1.AdminNetworkPolicyPort) []npav1alpha2.ClusterNetworkPolicyProtocol {
	if ports == nil || len(*ports) == 0 {
		return nil
	}
	var out []npav1alpha2.ClusterNetworkPolicyProtocol
	for _, p := range *ports {
		var q npav1alpha2.ClusterNetworkPolicyProtocol
		var proto corev1.Protocol
		var port *npav1alpha2.Port
		switch {
		case p.PortNumber != nil:
			proto, port = p.PortNumber.Protocol, &npav1alpha2.Port{Number: p.PortNumber.Port}
		case p.PortRange != nil:
			proto, port = p.PortRange.Protocol, &npav1alpha2.Port{Range: &npav1alpha2.PortRange{Start: p.PortRange.Start, End: p.PortRange.End}}
		case p.NamedPort != nil:
			q.DestinationNamedPort = *p.NamedPort
		}
		switch proto {
		case "", corev1.ProtocolTCP:
			if port != nil {
				q.TCP = &npav1alpha2.ClusterNetworkPolicyProtocolTCP{DestinationPort: port}
			}
		case corev1.ProtocolUDP:
			q.UDP = &npav1alpha2.ClusterNetworkPolicyProtocolUDP{DestinationPort: port}
		case corev1.ProtocolSCTP:
			q.SCTP = &npav1alpha2.ClusterNetworkPolicyProtocolSCTP{DestinationPort: port}
		}
		out = append(out, q)
	}
	return out
}

// checkAdminPolicy validates an AdminNetworkPolicy or the
// BaselineAdminNetworkPolicy as their v1alpha1 CRDs do. Subjects and peers
// share the ClusterNetworkPolicy checks (the fields are the same); rule
// counts, actions and ports are v1alpha1's own.
func checkAdminPolicy(p *ClusterPolicy) Errors {
	var errs Errors
	fail := func(field, format string, args ...any) {
		errs = append(errs, fieldErr(field, fmt.Sprintf(format, args...)))
	}
	tiered := p.Tiered()
	actions := "Allow, Deny or Pass"
	if p.BaselineAdminNetworkPolicy != nil {
		actions = "Allow or Deny"
		if p.Name() != "default" {
			fail("metadata.name", `Only one baseline admin network policy with metadata.name="default" can be created in the cluster`)
		}
	} else if pr := p.AdminNetworkPolicy.Spec.Priority; pr < 0 || pr > maxClusterPriority {
		fail("spec.priority", "must be between 0 and %d, not %d", maxClusterPriority, pr)
	}
	if s := tiered.Spec.Subject; (s.Namespaces == nil) == (s.Pods == nil) {
		fail("spec.subject", "must set exactly one of namespaces and pods")
	}
	rules := func(dir string, n int) {
		if n > maxAdminRules {
			fail("spec."+dir, "has %d rules, at most %d", n, maxAdminRules)
		}
	}
	rules("ingress", len(tiered.Spec.Ingress))
	rules("egress", len(tiered.Spec.Egress))
	rule := func(at, name, action string, peers int, ports *[]npav1alpha1.AdminNetworkPolicyPort, peersField string) {
		if len(name) > maxClusterRuleName {
			fail(joinPath(at, "name"), "is %d characters long, at most %d", len(name), maxClusterRuleName)
		}
		ok := action == "Allow" || action == "Deny" || (action == "Pass" && p.AdminNetworkPolicy != nil)
		if !ok {
			fail(joinPath(at, "action"), "unsupported value %q: must be %s", action, actions)
		}
		switch {
		case peers == 0:
			fail(joinPath(at, peersField), "required: at least one peer")
		case peers > maxAdminRules:
			fail(joinPath(at, peersField), "has %d peers, at most %d", peers, maxAdminRules)
		}
		errs = append(errs, checkAdminPorts(ports, joinPath(at, "ports"))...)
	}
	for i, r := range tiered.Spec.Ingress {
		at := indexPath("spec.ingress", i)
		rule(at, r.Name, adminAction(p, true, i), len(r.From), adminPorts(p, true, i), "from")
		for j, peer := range r.From {
			if (peer.Namespaces == nil) == (peer.Pods == nil) {
				fail(indexPath(joinPath(at, "from"), j), "must set exactly one of namespaces and pods")
			}
		}
	}
	for i, r := range tiered.Spec.Egress {
		at := indexPath("spec.egress", i)
		rule(at, r.Name, adminAction(p, false, i), len(r.To), adminPorts(p, false, i), "to")
		namedPort := false
		for _, q := range r.Protocols {
			namedPort = namedPort || q.DestinationNamedPort != ""
		}
		for j, peer := range r.To {
			errs = append(errs, checkEgressPeer(peer, indexPath(joinPath(at, "to"), j), namedPort)...)
		}
	}
	return errs
}

// adminAction and adminPorts read a v1alpha1 rule's own action and ports.
func adminAction(p *ClusterPolicy, ingress bool, i int) string {
	if a := p.AdminNetworkPolicy; a != nil {
		if ingress {
			return string(a.Spec.Ingress[i].Action)
		}
		return string(a.Spec.Egress[i].Action)
	}
	b := p.BaselineAdminNetworkPolicy
	if ingress {
		return string(b.Spec.Ingress[i].Action)
	}
	return string(b.Spec.Egress[i].Action)
}

func adminPorts(p *ClusterPolicy, ingress bool, i int) *[]npav1alpha1.AdminNetworkPolicyPort {
	if a := p.AdminNetworkPolicy; a != nil {
		if ingress {
			return a.Spec.Ingress[i].Ports
		}
		return a.Spec.Egress[i].Ports
	}
	b := p.BaselineAdminNetworkPolicy
	if ingress {
		return b.Spec.Ingress[i].Ports
	}
	return b.Spec.Egress[i].Ports
}

func checkAdminPorts(ports *[]npav1alpha1.AdminNetworkPolicyPort, path string) Errors {
	if ports == nil {
		return nil
	}
	var errs Errors
	fail := func(field, format string, args ...any) {
		errs = append(errs, fieldErr(field, fmt.Sprintf(format, args...)))
	}
	protocol := func(at string, p corev1.Protocol) {
		if _, msg := parseProtocol(string(p)); p != "" && msg != "" {
			fail(joinPath(at, "protocol"), "unknown protocol %q: must be TCP, UDP or SCTP", p)
		}
	}
	number := func(at string, n int32) {
		if msg := portNumberProblem(int64(n)); msg != "" {
			fail(at, "%s", msg)
		}
	}
	if len(*ports) > maxAdminRules {
		fail(path, "has %d ports, at most %d", len(*ports), maxAdminRules)
	}
	for i, p := range *ports {
		at := indexPath(path, i)
		set := 0
		for _, present := range []bool{p.PortNumber != nil, p.NamedPort != nil, p.PortRange != nil} {
			if present {
				set++
			}
		}
		if set != 1 {
			fail(at, "must set exactly one of portNumber, namedPort and portRange")
			continue
		}
		switch {
		case p.PortNumber != nil:
			protocol(joinPath(at, "portNumber"), p.PortNumber.Protocol)
			number(joinPath(at, "portNumber.port"), p.PortNumber.Port)
		case p.PortRange != nil:
			protocol(joinPath(at, "portRange"), p.PortRange.Protocol)
			number(joinPath(at, "portRange.start"), p.PortRange.Start)
			number(joinPath(at, "portRange.end"), p.PortRange.End)
		case *p.NamedPort == "":
			fail(joinPath(at, "namedPort"), "must not be empty")
		}
	}
	return errs
}

// ExperimentalAdminPolicyFields names, sorted, the fields of the
// experimental channel of the v1alpha1 CRDs (network-policy-api v0.1.x)
// that the scenario's AdminNetworkPolicies and BaselineAdminNetworkPolicies
// use: named ports and nodes, networks and domainNames peers. A cluster
// with the standard channel's CRDs prunes them and refuses the objects.
func (s *Scenario) ExperimentalAdminPolicyFields() []string {
	seen := map[string]bool{}
	ports := func(ports *[]npav1alpha1.AdminNetworkPolicyPort) {
		if ports == nil {
			return
		}
		for _, p := range *ports {
			if p.NamedPort != nil {
				seen["namedPort"] = true
			}
		}
	}
	peer := func(nodes *metav1.LabelSelector, networks []npav1alpha1.CIDR, domains []npav1alpha1.DomainName) {
		if nodes != nil {
			seen["nodes"] = true
		}
		if networks != nil {
			seen["networks"] = true
		}
		if domains != nil {
			seen["domainNames"] = true
		}
	}
	for _, step := range s.Steps {
		for _, a := range step.Actions {
			for _, p := range []*ClusterPolicy{a.ApplyCluster, a.UpdateCluster} {
				switch {
				case p == nil:
				case p.AdminNetworkPolicy != nil:
					for _, r := range p.AdminNetworkPolicy.Spec.Ingress {
						ports(r.Ports)
					}
					for _, r := range p.AdminNetworkPolicy.Spec.Egress {
						ports(r.Ports)
						for _, to := range r.To {
							peer(to.Nodes, to.Networks, to.DomainNames)
						}
					}
				case p.BaselineAdminNetworkPolicy != nil:
					for _, r := range p.BaselineAdminNetworkPolicy.Spec.Ingress {
						ports(r.Ports)
					}
					for _, r := range p.BaselineAdminNetworkPolicy.Spec.Egress {
						ports(r.Ports)
						for _, to := range r.To {
							peer(to.Nodes, to.Networks, nil)
						}
					}
				}
			}
		}
	}
	return slices.Sorted(maps.Keys(seen))
}

// ClusterPolicyAPIs tells which network-policy-api versions the scenario's
// steps use: v1alpha2 (ClusterNetworkPolicy) and v1alpha1
// (AdminNetworkPolicy, BaselineAdminNetworkPolicy).
func (s *Scenario) ClusterPolicyAPIs() (v1alpha2, v1alpha1 bool) {
	for _, step := range s.Steps {
		for _, a := range step.Actions {
			kinds := []string{}
			for _, p := range []*ClusterPolicy{a.ApplyCluster, a.UpdateCluster} {
				if p != nil {
					kinds = append(kinds, p.Kind())
				}
			}
			if kind, _, ok := splitClusterPolicyKey(a.Delete); ok {
				kinds = append(kinds, kind)
			}
			for _, kind := range kinds {
				if kind == ClusterNetworkPolicyKind {
					v1alpha2 = true
				} else {
					v1alpha1 = true
				}
			}
		}
	}
	return v1alpha2, v1alpha1
}
