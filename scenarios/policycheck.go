package scenarios

import (
	"fmt"

	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// checkPolicySpec validates a NetworkPolicy spec as the API server does. It
// is written apart from the truth oracle on purpose: a scenario the oracle
// would misread must still be refused here.
func checkPolicySpec(spec *networkingv1.NetworkPolicySpec, path string) Errors {
	errs := checkSelector(&spec.PodSelector, joinPath(path, "podSelector"))
	for i, rule := range spec.Ingress {
		at := indexPath(joinPath(path, "ingress"), i)
		errs = append(errs, checkPolicyPorts(rule.Ports, joinPath(at, "ports"))...)
		errs = append(errs, checkPeers(rule.From, joinPath(at, "from"))...)
	}
	for i, rule := range spec.Egress {
		at := indexPath(joinPath(path, "egress"), i)
		errs = append(errs, checkPolicyPorts(rule.Ports, joinPath(at, "ports"))...)
		errs = append(errs, checkPeers(rule.To, joinPath(at, "to"))...)
	}
	seen := map[networkingv1.PolicyType]bool{}
	for i, t := range spec.PolicyTypes {
		at := indexPath(joinPath(path, "policyTypes"), i)
		switch {
		case t != networkingv1.PolicyTypeIngress && t != networkingv1.PolicyTypeEgress:
			errs = append(errs, fieldErr(at, fmt.Sprintf("unknown policy type %q: must be Ingress or Egress", t)))
		case seen[t]:
			errs = append(errs, fieldErr(at, fmt.Sprintf("policy type %q is listed twice", t)))
		}
		seen[t] = true
	}
	return errs
}

func checkPolicyPorts(ports []networkingv1.NetworkPolicyPort, path string) Errors {
	var errs Errors
	for i, p := range ports {
		at := indexPath(path, i)
		// A policy port's protocol, unlike a served port's, is never empty:
		// the API server defaults only an absent one.
		if p.Protocol != nil {
			proto := string(*p.Protocol)
			if _, msg := parseProtocol(proto); proto == "" || msg != "" {
				errs = append(errs, fieldErr(joinPath(at, "protocol"), fmt.Sprintf("unknown protocol %q: must be TCP, UDP or SCTP", proto)))
			}
		}
		errs = append(errs, checkPortRange(p.Port, p.EndPort, at)...)
	}
	return errs
}

func checkPortRange(port *intstr.IntOrString, endPort *int32, at string) Errors {
	if port == nil {
		if endPort != nil {
			return Errors{fieldErr(joinPath(at, "endPort"), "endPort requires port")}
		}
		return nil
	}
	if port.Type == intstr.String {
		if msg := portNameProblem(port.StrVal); msg != "" {
			return Errors{fieldErr(joinPath(at, "port"), msg)}
		}
		if endPort != nil {
			return Errors{fieldErr(joinPath(at, "endPort"), fmt.Sprintf("endPort cannot be used with the named port %q", port.StrVal))}
		}
		return nil
	}
	if msg := portNumberProblem(int64(port.IntVal)); msg != "" {
		return Errors{fieldErr(joinPath(at, "port"), msg)}
	}
	if endPort == nil {
		return nil
	}
	if *endPort < 1 || *endPort > 65535 {
		return Errors{fieldErr(joinPath(at, "endPort"), fmt.Sprintf("endPort %d is out of range 1-65535", *endPort))}
	}
	if *endPort < port.IntVal {
		return Errors{fieldErr(joinPath(at, "endPort"), fmt.Sprintf("endPort %d is less than port %d", *endPort, port.IntVal))}
	}
	return nil
}

func checkPeers(peers []networkingv1.NetworkPolicyPeer, path string) Errors {
	var errs Errors
	for i, peer := range peers {
		at := indexPath(path, i)
		if peer.PodSelector == nil && peer.NamespaceSelector == nil && peer.IPBlock == nil {
			errs = append(errs, fieldErr(at, "a peer must set podSelector, namespaceSelector or ipBlock"))
			continue
		}
		if peer.IPBlock != nil && (peer.PodSelector != nil || peer.NamespaceSelector != nil) {
			errs = append(errs, fieldErr(at, "ipBlock cannot be combined with podSelector or namespaceSelector"))
			continue
		}
		if peer.PodSelector != nil {
			errs = append(errs, checkSelector(peer.PodSelector, joinPath(at, "podSelector"))...)
		}
		if peer.NamespaceSelector != nil {
			errs = append(errs, checkSelector(peer.NamespaceSelector, joinPath(at, "namespaceSelector"))...)
		}
		if peer.IPBlock != nil {
			errs = append(errs, checkIPBlock(peer.IPBlock, joinPath(at, "ipBlock"))...)
		}
	}
	return errs
}

func checkIPBlock(b *networkingv1.IPBlock, path string) Errors {
	cidr, msg := parseCIDR(b.CIDR)
	if msg != "" {
		return Errors{fieldErr(joinPath(path, "cidr"), msg)}
	}
	var errs Errors
	for i, e := range b.Except {
		at := indexPath(joinPath(path, "except"), i)
		except, msg := parseCIDR(e)
		if msg != "" {
			errs = append(errs, fieldErr(at, msg))
			continue
		}
		if !strictlyInside(except, cidr) {
			errs = append(errs, fieldErr(at, fmt.Sprintf("except %q is not strictly inside cidr %q", e, b.CIDR)))
		}
	}
	return errs
}

// checkSelector validates a label selector: labels, operators and values.
func checkSelector(sel *metav1.LabelSelector, path string) Errors {
	errs := checkLabels(sel.MatchLabels, joinPath(path, "matchLabels"))
	for i, req := range sel.MatchExpressions {
		at := indexPath(joinPath(path, "matchExpressions"), i)
		if msg := labelKeyProblem(req.Key); msg != "" {
			errs = append(errs, fieldErr(joinPath(at, "key"), msg))
		}
		switch req.Operator {
		case metav1.LabelSelectorOpIn, metav1.LabelSelectorOpNotIn:
			if len(req.Values) == 0 {
				errs = append(errs, fieldErr(joinPath(at, "values"), fmt.Sprintf("operator %s needs at least one value", req.Operator)))
			}
		case metav1.LabelSelectorOpExists, metav1.LabelSelectorOpDoesNotExist:
			if len(req.Values) > 0 {
				errs = append(errs, fieldErr(joinPath(at, "values"), fmt.Sprintf("operator %s must not have values", req.Operator)))
			}
		default:
			errs = append(errs, fieldErr(joinPath(at, "operator"),
				fmt.Sprintf("unknown operator %q: must be In, NotIn, Exists or DoesNotExist", req.Operator)))
		}
		for j, v := range req.Values {
			if msgs := labelValueProblems(v); msgs != "" {
				errs = append(errs, fieldErr(indexPath(joinPath(at, "values"), j), fmt.Sprintf("invalid label value %q: %s", v, msgs)))
			}
		}
	}
	return errs
}
