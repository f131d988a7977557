package scenarios

import networkingv1 "k8s.io/api/networking/v1"

// Source values for cases that do not come from a seed document. A seed-derived
// scenario sets Source to the seed's file name instead.
const (
	SourceUpstreamE2E = "upstream-e2e"
	SourceGenerated   = "generated"
	SourcePitfall     = "pitfall"
	// SourceNetworkPolicyAPI marks cases written from the type documentation
	// and NPEPs of sigs.k8s.io/network-policy-api (ClusterNetworkPolicy).
	SourceNetworkPolicyAPI = "network-policy-api"
)

// Scenario is one test case: a model, then steps that change it, each with the
// reachability expected afterwards. It is what a scenario file holds, and what
// a set of plain manifests becomes.
type Scenario struct {
	Name        string `json:"name"`
	Description string `json:"description,omitempty"`
	// Source names where the case comes from: a seed document's file name, or
	// one of upstream-e2e, generated, pitfall.
	Source string `json:"source,omitempty"`
	// Seed names the seed document a pitfall comes from (Source is then "pitfall").
	Seed  string   `json:"seed,omitempty"`
	Tags  []string `json:"tags,omitempty"`
	Model Model    `json:"model"`
	Steps []Step   `json:"steps"`

	// File is where the scenario was loaded from, for error messages. Not part of the format.
	File string `json:"-"`
	// Warnings are what loading accepted but the API server would warn of
	// (a CIDR with leading zeros), located like errors. Not part of the format.
	Warnings Errors `json:"-"`
	// Skipped names what of the input the scenario leaves out, with why (a
	// hostNetwork pod, which NetworkPolicy does not govern). Every step's
	// result carries these reasons. Not part of the format.
	Skipped []string `json:"-"`
}

// Model is the starting cluster of a scenario.
type Model struct {
	// PodCIDR is where deterministic pod addresses come from; DefaultPodCIDR when empty.
	PodCIDR string `json:"podCIDR,omitempty"`
	// DefaultPorts are served by every pod (and every external host without ports of its own).
	DefaultPorts  []Port          `json:"defaultPorts,omitempty"`
	Namespaces    []NamespaceSpec `json:"namespaces"`
	ExternalHosts []ExternalHost  `json:"externalHosts,omitempty"`
}

// NamespaceSpec declares a namespace and the pods in it.
type NamespaceSpec struct {
	Name   string            `json:"name"`
	Labels map[string]string `json:"labels,omitempty"`
	Pods   []PodSpec         `json:"pods,omitempty"`
}

// PodSpec declares a pod. Ports are added to the model's default ports. IP pins
// the address; otherwise one is allocated deterministically from the pod CIDR.
type PodSpec struct {
	Name   string            `json:"name"`
	Labels map[string]string `json:"labels,omitempty"`
	Ports  []Port            `json:"ports,omitempty"`
	IP     string            `json:"ip,omitempty"`
}

// Step is a named change to the cluster followed by an expectation.
type Step struct {
	Name    string       `json:"name"`
	Actions []Action     `json:"actions,omitempty"`
	Expect  *Expectation `json:"expect,omitempty"`
}

// Action is a tagged union: exactly one field is set.
type Action struct {
	// Apply creates or replaces a NetworkPolicy. Its ipBlock cidr and except
	// strings may hold placeholders such as {{ podIP "y/b" }} and {{ cidr "x/a" 24 }}.
	Apply *networkingv1.NetworkPolicy `json:"apply,omitempty"`
	// Update replaces a NetworkPolicy that must already exist.
	Update *networkingv1.NetworkPolicy `json:"update,omitempty"`
	// Delete removes the NetworkPolicy named "ns/name", or a cluster policy
	// named "Kind/name" ("ClusterNetworkPolicy/deny-all").
	Delete string `json:"delete,omitempty"`

	// ApplyCluster and UpdateCluster are apply and update of a cluster
	// policy (ClusterNetworkPolicy, AdminNetworkPolicy or
	// BaselineAdminNetworkPolicy): the format has one key for every kind,
	// and the decoder picks the field by the object's kind.
	ApplyCluster  *ClusterPolicy `json:"-"`
	UpdateCluster *ClusterPolicy `json:"-"`

	SetPodLabels          *PodLabels       `json:"setPodLabels,omitempty"`
	RemovePodLabels       *PodLabelKeys    `json:"removePodLabels,omitempty"`
	SetNamespaceLabels    *NamespaceLabels `json:"setNamespaceLabels,omitempty"`
	RemoveNamespaceLabels *NamespaceKeys   `json:"removeNamespaceLabels,omitempty"`

	CreatePod       *CreatePod     `json:"createPod,omitempty"`
	DeletePod       string         `json:"deletePod,omitempty"`
	CreateNamespace *NamespaceSpec `json:"createNamespace,omitempty"`
	DeleteNamespace string         `json:"deleteNamespace,omitempty"`
}

// PodLabels sets (adds or overwrites) labels on the pod "ns/pod".
type PodLabels struct {
	Pod    string            `json:"pod"`
	Labels map[string]string `json:"labels"`
}

// PodLabelKeys removes label keys from the pod "ns/pod".
type PodLabelKeys struct {
	Pod  string   `json:"pod"`
	Keys []string `json:"keys"`
}

// NamespaceLabels sets labels on a namespace.
type NamespaceLabels struct {
	Namespace string            `json:"namespace"`
	Labels    map[string]string `json:"labels"`
}

// NamespaceKeys removes label keys from a namespace.
type NamespaceKeys struct {
	Namespace string   `json:"namespace"`
	Keys      []string `json:"keys"`
}

// CreatePod adds a pod to an existing namespace.
type CreatePod struct {
	Namespace string `json:"namespace"`
	PodSpec   `json:",inline"`
}

// Expectation is the hand-written reachability after a step. Rules apply in
// order over Default, later ones winning; Grids, when present, must agree too.
type Expectation struct {
	// Default is "allow" or "deny".
	Default string       `json:"default"`
	Rules   []ExpectRule `json:"rules,omitempty"`
	Grids   []Grid       `json:"grids,omitempty"`
}

// ExpectRule says that traffic FROM a peer TO a peer ON a port is allowed or
// denied, or undefined: ClusterNetworkPolicies of one tier and priority
// decide it differently, and the API leaves their order open. Exactly one of
// Allow, Deny and Undefined is set; it holds the FROM peer.
//
// Peer expressions:
//
//	"*"            every pod and every external host
//	ns/pod         a pod; either side may be * or a glob such as x/* or */a
//	ns:NAME        every pod of namespace NAME
//	pod:k=v,k2=v2  every pod whose labels match
//	nsl:k=v        every pod whose namespace's labels match
//	ext:NAME       an external host (ext:* for all)
//	self           (as "to" only) each source itself: its loopback cells
//
// On is "80/TCP", "80" (TCP), "*/UDP" (every port of a protocol), "http" (a
// named port of the destination) or empty for every port.
type ExpectRule struct {
	Allow string `json:"allow,omitempty"`
	Deny  string `json:"deny,omitempty"`
	// Undefined marks cells that have no single verdict.
	Undefined string `json:"undefined,omitempty"`
	To        string `json:"to"`
	On        string `json:"on,omitempty"`
}

// Grid is a literal expectation in the upstream e2e format for one port:
// a header line naming the destinations, then one line per source of "." (allowed)
// and "X" (blocked). Loopback cells may be written as either.
type Grid struct {
	Port string `json:"port"`
	Rows string `json:"rows"`
}
