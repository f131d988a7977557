package bpf

import "strconv"

// Direction is the policy direction a program enforces, as the C enum
// direction numbers it in conntrack keys and drop records.
type Direction uint8

// The directions. Zero is unused so that a zeroed key never matches.
const (
	Ingress Direction = 1
	Egress  Direction = 2
)

// String names the direction as NetworkPolicy's policyTypes do.
func (d Direction) String() string {
	switch d {
	case Ingress:
		return "Ingress"
	case Egress:
		return "Egress"
	}
	return "Direction(" + strconv.Itoa(int(d)) + ")"
}

// Reason is why a packet was dropped, as the C enum reason numbers it.
type Reason uint8

// The reasons a drop record can carry.
const (
	// ReasonPeer: no rule of the endpoint's policies admits the remote address.
	ReasonPeer Reason = 1
	// ReasonPort: a rule admits the remote address but not the protocol and port.
	ReasonPort Reason = 2
	// ReasonAddress: the packet does not carry the pod address of the device it crossed.
	ReasonAddress Reason = 3
	// ReasonGeneration: the policy was replaced during the lookup and the program failed closed.
	ReasonGeneration Reason = 4
)

// String is the reason in the words drop logs use.
func (r Reason) String() string {
	switch r {
	case ReasonPeer:
		return "no-peer"
	case ReasonPort:
		return "no-port"
	case ReasonAddress:
		return "wrong-address"
	case ReasonGeneration:
		return "generation-switch"
	}
	return "Reason(" + strconv.Itoa(int(r)) + ")"
}

// Slots of the per-CPU counters map, as the C enum counter numbers them.
const (
	CounterIngressAllowed = 0
	CounterIngressDenied  = 1
	CounterEgressAllowed  = 2
	CounterEgressDenied   = 3
	CounterDropsLost      = 4
	CounterSlots          = 5
)

// Return values of the programs, as TCX defines them.
const (
	// VerdictNext lets the packet go on to later programs and then the stack.
	VerdictNext = -1
	// VerdictDrop drops the packet.
	VerdictDrop = 2
)

// Prefix lengths of LPM keys: the generation and rule set or class (64 bits)
// come before the address or the protocol and port.
const (
	PeerKeyFixedBits = 64
	PortKeyFixedBits = 64
	PortKeyProtoBits = 80
)
