package scenarios

import (
	"fmt"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	npav1alpha1 "sigs.k8s.io/network-policy-api/apis/v1alpha1"
	npav1alpha2 "sigs.k8s.io/network-policy-api/apis/v1alpha2"
	"sigs.k8s.io/yaml"
)

// V1alpha1Twin is s with its ClusterNetworkPolicies written as the
// v1alpha1 AdminNetworkPolicy and BaselineAdminNetworkPolicy, which
// implementations of network-policy-api v0.1.x (kube-network-policies
// v0.8.0, OVN-Kubernetes) enforce: the same model, steps and
// expectations. ok is false, with the reason, when v1alpha1 cannot say
// what s says:
//
//   - a Baseline Pass, or a Baseline domainNames peer (BANP has neither);
//   - more than one Baseline policy (BANP is one object, "default"), since
//     merging several would rewrite, not translate, the scenario.
//
// The twin is parsed from its own encoding, so the loader checks it as it
// checks a file; the oracle then judges its expectations, which are the
// original's: a translation that changed the meaning fails there.
func V1alpha1Twin(s *Scenario) (twin *Scenario, ok bool, reason string, err error) {
	if v1alpha2, v1alpha1 := s.ClusterPolicyAPIs(); !v1alpha2 || v1alpha1 {
		return nil, false, "uses no ClusterNetworkPolicy, or v1alpha1 already", nil
	}
	out := *s
	out.Name = s.Name + "-v1alpha1"
	out.Description = strings.TrimSpace(s.Description) + " Written as AdminNetworkPolicy and BaselineAdminNetworkPolicy (v1alpha1)."
	out.Tags = append(append([]string{}, s.Tags...), "api=v1alpha1")
	out.Steps = make([]Step, len(s.Steps))
	baseline := ""
	for i, step := range s.Steps {
		out.Steps[i] = step
		out.Steps[i].Actions = make([]Action, len(step.Actions))
		for j, a := range step.Actions {
			t, why := twinAction(a, &baseline)
			if why != "" {
				return nil, false, fmt.Sprintf("step %q: %s", step.Name, why), nil
			}
			out.Steps[i].Actions[j] = t
		}
	}
	data, err := yaml.Marshal(&out)
	if err != nil {
		return nil, false, "", fmt.Errorf("%s: encode its v1alpha1 twin: %w", s.Name, err)
	}
	parsed, err := Parse(s.File+" (v1alpha1 twin)", data)
	if err != nil {
		return nil, false, "", err
	}
	if len(parsed) != 1 {
		return nil, false, "", fmt.Errorf("%s: its v1alpha1 twin parsed as %d scenarios", s.Name, len(parsed))
	}
	parsed[0].File = s.File
	return parsed[0], true, "", nil
}

// twinAction writes one action's cluster policy in v1alpha1; baseline is
// the name of the scenario's Baseline policy, once one was seen.
func twinAction(a Action, baseline *string) (Action, string) {
	// claimBaseline makes name the scenario's one Baseline policy.
	claimBaseline := func(name string) string {
		switch {
		case *baseline == "":
			*baseline = name
		case *baseline != name:
			return "a second Baseline policy " + name + " (v1alpha1 has one BaselineAdminNetworkPolicy)"
		}
		return ""
	}
	if kind, name, ok := splitClusterPolicyKey(a.Delete); ok && kind == ClusterNetworkPolicyKind {
		switch {
		case name == *baseline:
			a.Delete = ClusterPolicyKey(BaselineAdminNetworkPolicyKind, baselineObjectName)
		default:
			a.Delete = ClusterPolicyKey(AdminNetworkPolicyKind, name)
		}
		return a, ""
	}
	for _, p := range []**ClusterPolicy{&a.ApplyCluster, &a.UpdateCluster} {
		if *p == nil || (*p).ClusterNetworkPolicy == nil {
			continue
		}
		cnp := (*p).ClusterNetworkPolicy
		if cnp.Spec.Tier == npav1alpha2.BaselineTier {
			if why := claimBaseline(cnp.Name); why != "" {
				return a, why
			}
			banp, why := twinBaseline(cnp)
			if why != "" {
				return a, why
			}
			*p = &ClusterPolicy{BaselineAdminNetworkPolicy: banp}
			continue
		}
		*p = &ClusterPolicy{AdminNetworkPolicy: twinAdmin(cnp)}
	}
	return a, ""
}

// baselineObjectName is the one name a BaselineAdminNetworkPolicy may have.
const baselineObjectName = "default"

var twinActions = map[npav1alpha2.ClusterNetworkPolicyRuleAction]npav1alpha1.AdminNetworkPolicyRuleAction{
	npav1alpha2.ClusterNetworkPolicyRuleActionAccept: npav1alpha1.AdminNetworkPolicyRuleActionAllow,
	npav1alpha2.ClusterNetworkPolicyRuleActionDeny:   npav1alpha1.AdminNetworkPolicyRuleActionDeny,
	npav1alpha2.ClusterNetworkPolicyRuleActionPass:   npav1alpha1.AdminNetworkPolicyRuleActionPass,
}

func twinAdmin(p *npav1alpha2.ClusterNetworkPolicy) *npav1alpha1.AdminNetworkPolicy {
	out := &npav1alpha1.AdminNetworkPolicy{ObjectMeta: *p.ObjectMeta.DeepCopy()}
	out.Kind, out.APIVersion = AdminNetworkPolicyKind, clusterPolicyAPIVersions[AdminNetworkPolicyKind][0]
	out.Spec.Priority = p.Spec.Priority
	out.Spec.Subject = twinSubject(p.Spec.Subject)
	for _, r := range p.Spec.Ingress {
		out.Spec.Ingress = append(out.Spec.Ingress, npav1alpha1.AdminNetworkPolicyIngressRule{
			Name: r.Name, Action: twinActions[r.Action], From: twinIngressPeers(r.From), Ports: twinPorts(r.Protocols),
		})
	}
	for _, r := range p.Spec.Egress {
		out.Spec.Egress = append(out.Spec.Egress, npav1alpha1.AdminNetworkPolicyEgressRule{
			Name: r.Name, Action: twinActions[r.Action], To: twinEgressPeers(r.To), Ports: twinPorts(r.Protocols),
		})
	}
	return out
}

func twinBaseline(p *npav1alpha2.ClusterNetworkPolicy) (*npav1alpha1.BaselineAdminNetworkPolicy, string) {
	out := &npav1alpha1.BaselineAdminNetworkPolicy{ObjectMeta: *p.ObjectMeta.DeepCopy()}
	out.Name = baselineObjectName
	out.Kind, out.APIVersion = BaselineAdminNetworkPolicyKind, clusterPolicyAPIVersions[BaselineAdminNetworkPolicyKind][0]
	out.Spec.Subject = twinSubject(p.Spec.Subject)
	baselineAction := func(a npav1alpha2.ClusterNetworkPolicyRuleAction) (npav1alpha1.BaselineAdminNetworkPolicyRuleAction, bool) {
		switch a {
		case npav1alpha2.ClusterNetworkPolicyRuleActionAccept:
			return npav1alpha1.BaselineAdminNetworkPolicyRuleActionAllow, true
		case npav1alpha2.ClusterNetworkPolicyRuleActionDeny:
			return npav1alpha1.BaselineAdminNetworkPolicyRuleActionDeny, true
		}
		return "", false
	}
	for _, r := range p.Spec.Ingress {
		action, ok := baselineAction(r.Action)
		if !ok {
			return nil, "a Baseline " + string(r.Action) + " rule (BaselineAdminNetworkPolicy has Allow and Deny)"
		}
		out.Spec.Ingress = append(out.Spec.Ingress, npav1alpha1.BaselineAdminNetworkPolicyIngressRule{
			Name: r.Name, Action: action, From: twinIngressPeers(r.From), Ports: twinPorts(r.Protocols),
		})
	}
	for _, r := range p.Spec.Egress {
		action, ok := baselineAction(r.Action)
		if !ok {
			return nil, "a Baseline " + string(r.Action) + " rule (BaselineAdminNetworkPolicy has Allow and Deny)"
		}
		rule := npav1alpha1.BaselineAdminNetworkPolicyEgressRule{Name: r.Name, Action: action, Ports: twinPorts(r.Protocols)}
		for _, peer := range twinEgressPeers(r.To) {
			if peer.DomainNames != nil {
				return nil, "a Baseline domainNames peer (BaselineAdminNetworkPolicy has none)"
			}
			rule.To = append(rule.To, npav1alpha1.BaselineAdminNetworkPolicyEgressPeer{
				Namespaces: peer.Namespaces, Pods: peer.Pods, Nodes: peer.Nodes, Networks: peer.Networks,
			})
		}
		out.Spec.Egress = append(out.Spec.Egress, rule)
	}
	return out, ""
}

func twinSubject(s npav1alpha2.ClusterNetworkPolicySubject) npav1alpha1.AdminNetworkPolicySubject {
	return npav1alpha1.AdminNetworkPolicySubject{Namespaces: s.Namespaces.DeepCopy(), Pods: twinPods(s.Pods)}
}

func twinPods(p *npav1alpha2.NamespacedPod) *npav1alpha1.NamespacedPod {
	if p == nil {
		return nil
	}
	return &npav1alpha1.NamespacedPod{NamespaceSelector: *p.NamespaceSelector.DeepCopy(), PodSelector: *p.PodSelector.DeepCopy()}
}

func twinIngressPeers(peers []npav1alpha2.ClusterNetworkPolicyIngressPeer) []npav1alpha1.AdminNetworkPolicyIngressPeer {
	out := make([]npav1alpha1.AdminNetworkPolicyIngressPeer, 0, len(peers))
	for _, p := range peers {
		out = append(out, npav1alpha1.AdminNetworkPolicyIngressPeer{Namespaces: p.Namespaces.DeepCopy(), Pods: twinPods(p.Pods)})
	}
	return out
}

func twinEgressPeers(peers []npav1alpha2.ClusterNetworkPolicyEgressPeer) []npav1alpha1.AdminNetworkPolicyEgressPeer {
	out := make([]npav1alpha1.AdminNetworkPolicyEgressPeer, 0, len(peers))
	for _, p := range peers {
		peer := npav1alpha1.AdminNetworkPolicyEgressPeer{Namespaces: p.Namespaces.DeepCopy(), Pods: twinPods(p.Pods), Nodes: p.Nodes.DeepCopy()}
		for _, c := range p.Networks {
			peer.Networks = append(peer.Networks, npav1alpha1.CIDR(c))
		}
		for _, d := range p.DomainNames {
			peer.DomainNames = append(peer.DomainNames, npav1alpha1.DomainName(d))
		}
		out = append(out, peer)
	}
	return out
}

// twinPorts writes protocols as v1alpha1 ports. A protocol without a
// destination port (every port of it) is the range 1-65535 of it; no
// protocols is no ports, every port of every protocol, in both.
func twinPorts(protocols []npav1alpha2.ClusterNetworkPolicyProtocol) *[]npav1alpha1.AdminNetworkPolicyPort {
	if len(protocols) == 0 {
		return nil
	}
	out := []npav1alpha1.AdminNetworkPolicyPort{}
	add := func(protocol corev1.Protocol, port *npav1alpha2.Port) {
		switch {
		case port == nil:
			out = append(out, npav1alpha1.AdminNetworkPolicyPort{PortRange: &npav1alpha1.PortRange{Protocol: protocol, Start: 1, End: 65535}})
		case port.Range != nil:
			out = append(out, npav1alpha1.AdminNetworkPolicyPort{PortRange: &npav1alpha1.PortRange{Protocol: protocol, Start: port.Range.Start, End: port.Range.End}})
		default:
			out = append(out, npav1alpha1.AdminNetworkPolicyPort{PortNumber: &npav1alpha1.Port{Protocol: protocol, Port: port.Number}})
		}
	}
	for _, p := range protocols {
		switch {
		case p.TCP != nil:
			add(corev1.ProtocolTCP, p.TCP.DestinationPort)
		case p.UDP != nil:
			add(corev1.ProtocolUDP, p.UDP.DestinationPort)
		case p.SCTP != nil:
			add(corev1.ProtocolSCTP, p.SCTP.DestinationPort)
		case p.DestinationNamedPort != "":
			named := p.DestinationNamedPort
			out = append(out, npav1alpha1.AdminNetworkPolicyPort{NamedPort: &named})
		}
	}
	return &out
}

// WithV1alpha1Twins is list followed by the v1alpha1 twin of each of its
// scenarios that has one.
func WithV1alpha1Twins(list []*Scenario) ([]*Scenario, error) {
	out := slices.Clip(list)
	for _, s := range list {
		twin, ok, _, err := V1alpha1Twin(s)
		if err != nil {
			return nil, err
		}
		if ok {
			out = append(out, twin)
		}
	}
	return out, nil
}

// V1alpha1TwinPolicy is one ClusterNetworkPolicy written in v1alpha1: an
// AdminNetworkPolicy of the same name, or for the Baseline tier the
// BaselineAdminNetworkPolicy "default" (the caller keeps to one). ok is
// false, with the reason, when v1alpha1 cannot say it.
func V1alpha1TwinPolicy(p *npav1alpha2.ClusterNetworkPolicy) (twin *ClusterPolicy, ok bool, reason string) {
	if p.Spec.Tier != npav1alpha2.BaselineTier {
		return &ClusterPolicy{AdminNetworkPolicy: twinAdmin(p)}, true, ""
	}
	banp, why := twinBaseline(p)
	if why != "" {
		return nil, false, why
	}
	return &ClusterPolicy{BaselineAdminNetworkPolicy: banp}, true, ""
}
