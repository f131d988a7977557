package generate

import (
	"fmt"
	"strings"
)

// description is one readable sentence (two with a second step) saying what a
// case's policy admits and what its second step changes.
func description(c combo) string {
	var b strings.Builder
	target := map[string]string{
		TargetAll:              "every pod of x",
		TargetPodSelector:      "x's pods labelled pod=a",
		TargetMatchExpressions: "x's pods whose label pod is in (a, b)",
	}[c.target]
	plural := c.direction == DirectionBoth
	switch c.direction {
	case DirectionIngress:
		b.WriteString("Ingress to " + target)
	case DirectionEgress:
		b.WriteString("Egress from " + target)
	default:
		b.WriteString("Ingress to and egress from " + target)
	}
	verb, deny := " admits ", " is denied."
	if plural {
		verb, deny = " admit ", " are denied."
	}
	if c.peer == PeerNoRule {
		b.WriteString(deny)
	} else {
		b.WriteString(verb + peerPhrase(c) + " " + portPhrase(c.port, c.protocol) + ".")
	}
	if s := stepPhrase(c); s != "" {
		b.WriteString(" Then " + s + ".")
	}
	return b.String()
}

func peerPhrase(c combo) string {
	ns := map[string]string{
		NamespaceSame:    "namespace x",
		NamespaceOther:   "namespace y",
		NamespaceAll:     "every namespace",
		NamespaceRelabel: "namespaces labelled " + relabelKey + "=" + relabelValue + " (none yet)",
	}[c.namespace]
	block := map[string]string{
		NamespaceSame:  "the /24 of x/a",
		NamespaceOther: "the /24 of y/a",
		NamespaceAll:   "the /16 of the pod range (ext-in included)",
	}[c.namespace]
	except := map[string]string{
		NamespaceSame:  "x/b",
		NamespaceOther: "y/b",
		NamespaceAll:   "the /24 of namespace y",
	}[c.namespace]
	switch c.peer {
	case PeerPodSelector:
		return "only pods labelled pod=b of namespace x"
	case PeerNamespaceSelector:
		return "only the pods of " + ns
	case PeerPodAndNamespace:
		return "only pods labelled pod=b of " + ns
	case PeerTwoPeers:
		return "only pods labelled pod=c of namespace x, or pods labelled pod=b of " + ns
	case PeerIPBlock:
		return "only addresses in " + block
	case PeerIPBlockExcept:
		// The block is taken around the excepted pod (exceptBlockCIDR).
		if c.namespace == NamespaceSame || c.namespace == NamespaceOther {
			block = "the /24 of " + except
		}
		return "only addresses in " + block + " but not " + except
	}
	return "everyone"
}

func portPhrase(form, protocol string) string {
	proto := strings.ToUpper(protocol)
	switch form {
	case PortNumeric:
		return "on 80/" + proto
	case PortNamed:
		return "on the named port " + portName(80, protocol)
	case PortEndPort:
		return fmt.Sprintf("on ports %d-%d/%s", rangeStart, rangeEnd, proto)
	case PortSeveral:
		return "on 80/" + proto + " and the named port " + portName(81, protocol)
	}
	return "on every port and protocol"
}

func stepPhrase(c combo) string {
	switch c.step {
	case StepUpdate:
		if c.peer == PeerNoRule {
			return "an update admits everyone on 81/TCP"
		}
		return "an update moves the ports to " + updatedPortPhrase(c.port, c.protocol)
	case StepDelete:
		return "the policy is deleted"
	case StepRelabelPod:
		pod, labels := podRelabel(c)
		joins := "the peer"
		if c.target != TargetAll {
			joins = "the targets"
		}
		return fmt.Sprintf("%s is labelled pod=%s and joins %s", pod, labels["pod"], joins)
	case StepRelabelNamespace:
		return "namespace " + relabeledNamespace + " is labelled " + relabelKey + "=" + relabelValue
	}
	return ""
}

func updatedPortPhrase(form, protocol string) string {
	proto := strings.ToUpper(protocol)
	switch form {
	case PortNamed:
		return "the named port " + portName(81, protocol)
	case PortEndPort:
		return fmt.Sprintf("%d-%d/%s", updatedRangeStart, updatedRangeEnd, proto)
	case PortSeveral:
		return "80/" + proto + " alone"
	}
	return "81/" + proto
}
