package generate

// combo is one point of the case space: one value of every dimension.
type combo struct {
	direction, target, peer, namespace, port, protocol, step string
}

// values lists the combo's values in Dimensions() order.
func (c combo) values() [dimensionCount]string {
	return [dimensionCount]string{c.direction, c.target, c.peer, c.namespace, c.port, c.protocol, c.step}
}

// comboOf builds a combo from values in Dimensions() order.
func comboOf(v [dimensionCount]string) combo {
	return combo{direction: v[0], target: v[1], peer: v[2], namespace: v[3], port: v[4], protocol: v[5], step: v[6]}
}

// rawCombos lists the whole product of the dimensions in enumeration order:
// the first dimension varies slowest, so cases of one direction stay together.
func rawCombos() []combo {
	dims := Dimensions()
	total := 1
	for _, d := range dims {
		total *= len(d.Values)
	}
	out := make([]combo, 0, total)
	var cur [dimensionCount]string
	var walk func(dim int)
	walk = func(dim int) {
		if dim == len(dims) {
			out = append(out, comboOf(cur))
			return
		}
		for _, v := range dims[dim].Values {
			cur[dim] = v
			walk(dim + 1)
		}
	}
	walk(0)
	return out
}

// validCombos is rawCombos without the combinations invalidReason rejects.
func validCombos() []combo {
	raw := rawCombos()
	out := make([]combo, 0, len(raw)/2)
	for _, c := range raw {
		if invalidReason(c) == "" {
			out = append(out, c)
		}
	}
	return out
}

// peerHasPodSelector tells whether the peer kind carries a pod selector that a
// pod relabel can make match.
func peerHasPodSelector(peer string) bool {
	return peer == PeerPodSelector || peer == PeerPodAndNamespace || peer == PeerTwoPeers
}

// peerHasNamespaceSelector tells whether the peer kind carries a namespace selector.
func peerHasNamespaceSelector(peer string) bool {
	return peer == PeerNamespaceSelector || peer == PeerPodAndNamespace || peer == PeerTwoPeers
}

// invalidReason says why a combination is never emitted, or "" when it is
// valid. A combination is invalid when the API server would reject the
// policy, or when a dimension value has no meaning for it: every emitted tag
// must describe something the case really exercises.
func invalidReason(c combo) string {
	switch {
	case c.peer == PeerPodSelector && c.namespace != NamespaceSame:
		return "a pod selector alone only reaches the policy's own namespace"
	case (c.peer == PeerIPBlock || c.peer == PeerIPBlockExcept) && c.namespace == NamespaceRelabel:
		return "an ipBlock ignores namespace labels"
	case c.peer == PeerEmpty && c.namespace != NamespaceAll:
		return "a rule without peers admits every namespace"
	case c.peer == PeerNoRule && c.namespace != NamespaceSame:
		return "an empty rule list admits nothing; it only isolates the policy's own namespace"
	case c.peer == PeerNoRule && c.port != PortNone:
		return "an empty rule list has no ports"
	case c.port == PortNone && c.protocol != ProtocolTCP:
		return "a rule without ports admits every protocol; it is filed under tcp, the API default"
	case c.namespace == NamespaceRelabel && c.step != StepRelabelNamespace:
		return "a namespace selected by a later label needs the relabel-namespace step"
	case c.step == StepRelabelNamespace && c.namespace != NamespaceRelabel:
		return "a namespace relabel only matters to a selector waiting for the new label"
	case c.step == StepRelabelPod && c.target == TargetAll && !peerHasPodSelector(c.peer):
		return "no pod selector that a pod relabel could make match"
	}
	return ""
}
