package generate

import (
	"slices"
	"strings"
)

// shortNames are the words of case names, one per dimension value: short
// enough for a terminal column, distinct within each dimension.
var shortNames = map[string]map[string]string{
	DimDirection: {DirectionIngress: "ingress", DirectionEgress: "egress", DirectionBoth: "both"},
	DimTarget:    {TargetAll: "all", TargetPodSelector: "podsel", TargetMatchExpressions: "expr"},
	DimPeer: {PeerPodSelector: "pod", PeerNamespaceSelector: "ns", PeerPodAndNamespace: "podns",
		PeerTwoPeers: "or", PeerIPBlock: "cidr", PeerIPBlockExcept: "except", PeerEmpty: "anyone", PeerNoRule: "deny"},
	DimNamespace: {NamespaceSame: "same", NamespaceOther: "other", NamespaceAll: "allns", NamespaceRelabel: "later"},
	DimPort:      {PortNone: "anyport", PortNumeric: "num", PortNamed: "named", PortEndPort: "range", PortSeveral: "multi"},
	DimProtocol:  {ProtocolTCP: "tcp", ProtocolUDP: "udp", ProtocolSCTP: "sctp"},
	DimStep: {StepCreate: "create", StepUpdate: "update", StepDelete: "delete",
		StepRelabelPod: "podlabel", StepRelabelNamespace: "nslabel"},
}

// caseName is the stable name of a combo's case, such as
// "gen-egress-podsel-ns-other-named-udp-update": the dimension values in
// Dimensions() order.
func caseName(c combo) string {
	words := []string{"gen"}
	for i, d := range Dimensions() {
		words = append(words, shortNames[d.Name][c.values()[i]])
	}
	return strings.Join(words, "-")
}

// dimensionTags are the "name=value" tags of a combo, in Dimensions() order.
func dimensionTags(c combo) []string {
	var tags []string
	for i, d := range Dimensions() {
		tags = append(tags, d.Name+"="+c.values()[i])
	}
	return tags
}

// plainTags are the built-in library's tags that apply to a combo, sorted.
// Cases with equal plain tags look alike to anyone filtering the library,
// which is why pruning compares truth tables only among them.
func plainTags(c combo) []string {
	tags := []string{"generated"}
	add := func(ok bool, t ...string) {
		if ok {
			tags = append(tags, t...)
		}
	}
	add(c.direction != DirectionEgress, "ingress")
	add(c.direction != DirectionIngress, "egress")
	add(c.target == TargetMatchExpressions, "match-expressions")
	add(peerHasPodSelector(c.peer), "pod-selector")
	add(peerHasNamespaceSelector(c.peer), "namespace-selector")
	add(c.peer == PeerIPBlock || c.peer == PeerIPBlockExcept, "ip-block")
	add(c.peer == PeerIPBlockExcept, "except")
	add(c.peer == PeerEmpty && c.port == PortNone, "allow-all")
	add(c.peer == PeerNoRule, "default-deny")
	add(c.port == PortNamed || c.port == PortSeveral, "named-port")
	add(c.port == PortEndPort, "end-port")
	add(c.port == PortSeveral, "multi-port")
	add(c.protocol == ProtocolUDP, "udp")
	add(c.protocol == ProtocolSCTP, "sctp")
	add(c.step == StepUpdate, "update")
	add(c.step == StepDelete, "delete")
	add(c.step == StepRelabelPod || c.step == StepRelabelNamespace, "relabel")
	slices.Sort(tags)
	return tags
}

// tags are every tag of a combo's case: the dimension tags, then the plain ones.
func tags(c combo) []string {
	return append(dimensionTags(c), plainTags(c)...)
}
