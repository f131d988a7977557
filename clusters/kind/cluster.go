package kind

import (
	"sync"

	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/kind/pkg/cluster"
)

// Cluster is a running kind cluster with its pod network installed.
type Cluster struct {
	name       string
	opts       Options
	kind       *cluster.Provider
	kubeconfig string
	// ownedState is the state directory Down removes; empty when the caller gave it.
	ownedState string
	rest       *rest.Config
	client     kubernetes.Interface
	nodes      []podNetworkNode
	// networkSubnet is the nodes' docker network, which external hosts must stay out of.
	networkSubnet string

	mu sync.Mutex
	// external holds the hosts by address; addressLocks serialise each
	// address's changes.
	external     map[string]*externalHost
	addressLocks map[string]*sync.Mutex
}

// Node is one node as the pod network sees it.
type Node struct {
	Name    string
	IP      string
	PodCIDR string
}

// Name is the kind cluster's name.
func (c *Cluster) Name() string { return c.name }

// Kubeconfig is the path of a kubeconfig whose current context is this cluster.
func (c *Cluster) Kubeconfig() string { return c.kubeconfig }

// RESTConfig is the client configuration for the cluster's API server.
func (c *Cluster) RESTConfig() *rest.Config { return rest.CopyConfig(c.rest) }

// Client is a clientset for the cluster.
func (c *Cluster) Client() kubernetes.Interface { return c.client }

// Nodes lists the nodes in name order.
func (c *Cluster) Nodes() []Node {
	out := make([]Node, 0, len(c.nodes))
	for _, n := range c.nodes {
		out = append(out, Node{Name: n.node.String(), IP: n.ip, PodCIDR: n.podCIDR})
	}
	return out
}
