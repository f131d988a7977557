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
	// ReasonTier: a rule set flattened from cluster policy tiers denies;
	// the record's rule names the cluster policy rule, or is zero when
	// NetworkPolicy isolation denied.
	ReasonTier Reason = 5
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
	case ReasonTier:
		return "tier"
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

// Return values of the programs, as netfilter defines them.
const (
	// VerdictAccept lets the packet go on to the hook's next function.
	VerdictAccept = 1
	// VerdictDrop drops the packet.
	VerdictDrop = 0
)

// Where the programs attach: the netfilter hooks of the node namespace, at
// priorities around the NAT hooks' (docs/design.md).
const (
	// PriorityAfterDNAT puts the egress program at PREROUTING just after
	// destination NAT (NF_IP_PRI_NAT_DST, -100).
	PriorityAfterDNAT = -99
	// PriorityBeforeSNAT puts the ingress program at POSTROUTING just before
	// source NAT (NF_IP_PRI_NAT_SRC, 100).
	PriorityBeforeSNAT = 99
)

// Netfilter hook numbers, for HookState.
const (
	HookPreRouting  = 0
	HookPostRouting = 4
)

// HookState is the context BPF_PROG_TEST_RUN takes for a netfilter program:
// the kernel's struct nf_hook_state with only the hook and the family (IPv4)
// set. The kernel then hands the frame over as that hook would, arriving on
// or leaving through the loopback device, its Ethernet header pulled.
func HookState(hook uint8) []byte {
	const nfprotoIPv4, size = 2, 48 // two bytes, then five pointers
	state := make([]byte, size)
	state[0], state[1] = hook, nfprotoIPv4
	return state
}

// Prefix lengths of LPM keys: the generation and rule set or class (64 bits)
// come before the address or the protocol and port.
const (
	PeerKeyFixedBits = 64
	PortKeyFixedBits = 64
	PortKeyProtoBits = 80
)
