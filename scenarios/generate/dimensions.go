package generate

// Dimension is one axis of the case space: its name, as used in the
// "name=value" tags, and its values in enumeration order.
type Dimension struct {
	Name   string
	Values []string
}

// The dimension names, in the order cases are enumerated and named.
const (
	DimDirection = "direction"
	DimTarget    = "target"
	DimPeer      = "peer"
	DimNamespace = "namespace"
	DimPort      = "port"
	DimProtocol  = "protocol"
	DimStep      = "step"
)

// Direction values: which rule lists the policy carries.
const (
	DirectionIngress = "ingress"
	DirectionEgress  = "egress"
	DirectionBoth    = "both"
)

// Target values: which pods of namespace x the policy selects.
const (
	TargetAll              = "all"
	TargetPodSelector      = "pod-selector"
	TargetMatchExpressions = "match-expressions"
)

// Peer values: what the rule's from or to list holds.
const (
	PeerPodSelector       = "pod-selector"
	PeerNamespaceSelector = "namespace-selector"
	PeerPodAndNamespace   = "pod-and-namespace" // one peer with both selectors: AND
	PeerTwoPeers          = "two-peers"         // two peers in one list: OR
	PeerIPBlock           = "ip-block"
	PeerIPBlockExcept     = "ip-block-except"
	PeerEmpty             = "empty"   // a rule without from/to: everyone
	PeerNoRule            = "no-rule" // an empty rule list: deny
)

// Namespace values: which namespaces the peer reaches, seen from namespace x.
const (
	NamespaceSame    = "same"
	NamespaceOther   = "other"
	NamespaceAll     = "all"
	NamespaceRelabel = "relabel" // selected by a label a later step adds
)

// Port values: how the rule names its ports.
const (
	PortNone    = "none"
	PortNumeric = "numeric"
	PortNamed   = "named"
	PortEndPort = "end-port"
	PortSeveral = "several"
)

// Protocol values, lower case as in tags and names.
const (
	ProtocolTCP  = "tcp"
	ProtocolUDP  = "udp"
	ProtocolSCTP = "sctp"
)

// Step values: what the case's second step does; create has no second step.
const (
	StepCreate           = "create"
	StepUpdate           = "update"
	StepDelete           = "delete"
	StepRelabelPod       = "relabel-pod"
	StepRelabelNamespace = "relabel-namespace"
)

// dimensionCount is the number of dimensions; a combo holds one value of each.
const dimensionCount = 7

// Dimensions lists every dimension with its values, in enumeration order.
// It returns a fresh copy, so callers may keep or change it.
func Dimensions() []Dimension {
	return []Dimension{
		{Name: DimDirection, Values: []string{DirectionIngress, DirectionEgress, DirectionBoth}},
		{Name: DimTarget, Values: []string{TargetAll, TargetPodSelector, TargetMatchExpressions}},
		{Name: DimPeer, Values: []string{PeerPodSelector, PeerNamespaceSelector, PeerPodAndNamespace,
			PeerTwoPeers, PeerIPBlock, PeerIPBlockExcept, PeerEmpty, PeerNoRule}},
		{Name: DimNamespace, Values: []string{NamespaceSame, NamespaceOther, NamespaceAll, NamespaceRelabel}},
		{Name: DimPort, Values: []string{PortNone, PortNumeric, PortNamed, PortEndPort, PortSeveral}},
		{Name: DimProtocol, Values: []string{ProtocolTCP, ProtocolUDP, ProtocolSCTP}},
		{Name: DimStep, Values: []string{StepCreate, StepUpdate, StepDelete, StepRelabelPod, StepRelabelNamespace}},
	}
}
