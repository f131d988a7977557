package scenarios

import (
	"fmt"

	networkingv1 "k8s.io/api/networking/v1"
	npav1alpha2 "sigs.k8s.io/network-policy-api/apis/v1alpha2"
)

// Protocol is a transport protocol that NetworkPolicy can name.
type Protocol string

// The protocols of NetworkPolicy v1. TCP is the default wherever a protocol is omitted.
const (
	TCP  Protocol = "TCP"
	UDP  Protocol = "UDP"
	SCTP Protocol = "SCTP"
)

// DefaultPodCIDR is the range deterministic pod addresses come from. It is kept
// outside 10.0.0.0/8 on purpose: the seed pitfall "egress to 10.0.0.0/8 misses
// kube-dns" is only observable when pods do not live in 10/8.
const DefaultPodCIDR = "192.168.0.0/16"

// Port is one port a pod serves, as a container port: an optional name, a number and a protocol.
type Port struct {
	Name     string   `json:"name,omitempty"`
	Port     int32    `json:"port"`
	Protocol Protocol `json:"protocol"`
}

// String renders the port as "80/TCP", the form used everywhere on the command line and in reports.
func (p Port) String() string { return fmt.Sprintf("%d/%s", p.Port, p.Protocol) }

// Namespace is a namespace of the model with its labels. Labels always include
// kubernetes.io/metadata.name, as the API server adds it.
type Namespace struct {
	Name   string            `json:"name"`
	Labels map[string]string `json:"labels,omitempty"`
}

// Pod is a pod of the model: its labels, every port it serves (the model's
// default ports merged with its own) and its address.
type Pod struct {
	Namespace string            `json:"namespace"`
	Name      string            `json:"name"`
	Labels    map[string]string `json:"labels,omitempty"`
	Ports     []Port            `json:"ports,omitempty"`
	IP        string            `json:"ip,omitempty"`
}

// ID is the pod's "ns/pod" name, the upstream e2e way of naming a pod.
func (p Pod) ID() string { return p.Namespace + "/" + p.Name }

// ExternalHost is an address outside the pod range that only ipBlock peers can
// match. Clusters emulate it (a network namespace locally, a container in kind).
type ExternalHost struct {
	Name  string `json:"name"`
	IP    string `json:"ip"`
	Ports []Port `json:"ports,omitempty"`
}

// World is the state of a cluster at one point of a scenario: everything the
// truth oracle needs. Policies have their placeholders expanded. Slices are kept
// in a deterministic order (namespaces and pods in model order, policies by
// namespace then name, cluster policies by name) so that truth tables and reports are reproducible.
type World struct {
	Namespaces    []Namespace                   `json:"namespaces"`
	Pods          []Pod                         `json:"pods"`
	ExternalHosts []ExternalHost                `json:"externalHosts,omitempty"`
	Policies      []*networkingv1.NetworkPolicy `json:"policies,omitempty"`
	// ClusterPolicies are the ClusterNetworkPolicies in force, by name.
	ClusterPolicies []*npav1alpha2.ClusterNetworkPolicy `json:"clusterPolicies,omitempty"`
}
