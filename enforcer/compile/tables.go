package compile

import (
	"fmt"
	"net/netip"
	"strings"
)

// Tables are the contents of the enforcer's policy maps for one generation,
// in a deterministic order: endpoints by pod, peers by rule set then prefix,
// ports by class then protocol and port.
type Tables struct {
	// Endpoints are the local pods the tables enforce.
	Endpoints []Endpoint `json:"endpoints"`
	// Peers map remote address prefixes to port classes, per rule set.
	Peers []Peer `json:"peers"`
	// Ports list what each class admits.
	Ports []PortPrefix `json:"ports"`
	// Rules name the cluster policy rules that port entries deny by,
	// numbered from 1 in Admin-then-Baseline evaluation order.
	Rules []RuleRef `json:"rules,omitempty"`
	// Skipped lists local endpoints that cannot be enforced yet, such as a pod
	// whose address the API has not reported. Their traffic is not filtered.
	Skipped []SkippedEndpoint `json:"skipped,omitempty"`
}

// Endpoint is a local pod: its address, the host-side device it sits behind,
// and its rule set per direction.
type Endpoint struct {
	// Pod is the pod's "ns/name".
	Pod string `json:"pod"`
	// IP is the pod's IPv4 address.
	IP netip.Addr `json:"ip"`
	// Ifindex is the host-side veth in the node's network namespace.
	Ifindex int `json:"ifindex"`
	// Identity numbers the endpoint in drop records: its position in Endpoints, from 1.
	Identity uint32 `json:"identity"`
	// Ingress decides traffic to the pod, Egress traffic from it.
	Ingress RuleSet `json:"ingress"`
	Egress  RuleSet `json:"egress"`
}

// RuleSet numbers a compiled rule set. NotIsolated means no policy selects
// the endpoint in that direction, so everything is allowed.
type RuleSet uint32

// NotIsolated is the rule set of an endpoint no policy isolates.
const NotIsolated RuleSet = 0

// Class numbers a set of protocols and ports, from 1.
type Class uint32

// Peer says that remote addresses in Prefix may use the ports of Class,
// unless a longer prefix of the same rule set says otherwise. An isolated
// endpoint's traffic with an address no prefix covers is denied.
type Peer struct {
	// RuleSet is the rule set the entry belongs to.
	RuleSet RuleSet `json:"ruleSet"`
	// Prefix is the remote addresses, IPv4.
	Prefix netip.Prefix `json:"prefix"`
	// Class is what those addresses may use.
	Class Class `json:"class"`
}

// Protocol is an IP protocol number.
type Protocol uint8

// The protocols NetworkPolicy names, and AnyProtocol for rules without ports.
const (
	AnyProtocol Protocol = 0
	TCP         Protocol = 6
	UDP         Protocol = 17
	SCTP        Protocol = 132
)

// PortPrefix admits the destination ports whose first Bits bits equal
// Port's, on Protocol, for Class. Protocol AnyProtocol (with Port and Bits
// zero) admits every protocol and port; Bits zero admits every port of Protocol.
// With Deny it denies them instead, by the cluster policy rule numbered
// Rule in Tables.Rules, or by NetworkPolicy isolation when Rule is zero:
// only rule sets flattened from cluster policy tiers hold such entries.
type PortPrefix struct {
	// Class is the class the entry belongs to.
	Class Class `json:"class"`
	// Protocol is the IP protocol, or AnyProtocol.
	Protocol Protocol `json:"protocol"`
	// Port is the first port of the block, Bits the prefix length over 16 bits.
	Port uint16 `json:"port"`
	Bits uint8  `json:"bits"`
	Deny bool   `json:"deny,omitempty"`
	Rule uint32 `json:"rule,omitempty"`
}

// RuleRef names a cluster policy rule, for drop records and metrics.
type RuleRef struct {
	// Tier is Admin or Baseline.
	Tier string `json:"tier"`
	// Policy is the ClusterNetworkPolicy's name, Priority its priority.
	Policy   string `json:"policy"`
	Priority int32  `json:"priority"`
	// Direction is Ingress or Egress; Rule is the index in that list.
	Direction string `json:"direction"`
	Rule      int    `json:"rule"`
	// Name is the rule's own name, if it has one; Action what it does.
	Name   string `json:"name,omitempty"`
	Action string `json:"action"`
}

// String names the rule as drop logs do: "Admin cnp/deny-all prio 10 egress rule 0 (name): Deny".
func (r RuleRef) String() string {
	s := fmt.Sprintf("%s cnp/%s prio %d %s rule %d", r.Tier, r.Policy, r.Priority, strings.ToLower(r.Direction), r.Rule)
	if r.Name != "" {
		s += " (" + r.Name + ")"
	}
	return s + ": " + r.Action
}

// SkippedEndpoint is a local endpoint left out of the tables and why.
type SkippedEndpoint struct {
	// Pod is the pod's "ns/name".
	Pod string `json:"pod"`
	// Reason says why it cannot be enforced.
	Reason string `json:"reason"`
}

// Pods maps identities to pod names, for naming endpoints in drop records.
func (t *Tables) Pods() map[uint32]string {
	names := make(map[uint32]string, len(t.Endpoints))
	for _, ep := range t.Endpoints {
		names[ep.Identity] = ep.Pod
	}
	return names
}
