package compile

import (
	"encoding/binary"
	"fmt"
	"net/netip"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/labels"
	npav1alpha1 "sigs.k8s.io/network-policy-api/apis/v1alpha1"
	npav1alpha2 "sigs.k8s.io/network-policy-api/apis/v1alpha2"
)

// Input is what the enforcer knows of the cluster: every namespace, pod and
// network policy (pods on other nodes too, as peers), and which pods are on
// this node, by "ns/name", with the index of their host-side veth.
type Input struct {
	// Namespaces give the labels namespace selectors match.
	Namespaces []*corev1.Namespace
	// Pods are every pod of the cluster, with status.podIP and container ports.
	Pods []*corev1.Pod
	// Policies are every NetworkPolicy of the cluster.
	Policies []*networkingv1.NetworkPolicy
	// ClusterPolicies are every ClusterNetworkPolicy of the cluster.
	ClusterPolicies []*npav1alpha2.ClusterNetworkPolicy
	// AdminPolicies and BaselinePolicies are every v1alpha1
	// AdminNetworkPolicy and BaselineAdminNetworkPolicy of the cluster
	// (network-policy-api v0.1.x), enforced in the same tiers.
	AdminPolicies    []*npav1alpha1.AdminNetworkPolicy
	BaselinePolicies []*npav1alpha1.BaselineAdminNetworkPolicy
	// Local maps "ns/name" of the pods on this node to the ifindex of their
	// host-side veth in the node's network namespace.
	Local map[string]int
}

// namespaceNameLabel is set on every namespace by the API server; it is added
// here too when missing so that selecting a namespace by name always works.
const namespaceNameLabel = "kubernetes.io/metadata.name"

// pod is what matching needs to know of a pod that can be a peer.
type pod struct {
	key       string
	namespace string
	labels    labels.Set
	ip        netip.Addr
	ports     []corev1.ContainerPort
	// kind is kindKey, made once: rules are shared by kind, and a
	// Compiler compares clusters by it.
	kind string
}

// cluster indexes the input for matching.
type cluster struct {
	namespaces map[string]labels.Set
	// pods are the pods that hold an IPv4 address and can take part in
	// traffic, sorted by key.
	pods  []*pod
	byKey map[string]*pod
	// byNamespace holds the same pods per namespace, and podNamespaces
	// the namespaces that have any, sorted: selectors then look at the
	// namespaces they can match instead of at every pod.
	byNamespace   map[string][]*pod
	podNamespaces []string
	// selectors parse the policies' selectors.
	selectors *selectors
	// peers are the peers resolved against this index, by appendPeerKey.
	peers map[string]peerSet
}

func indexCluster(in Input) *cluster {
	c := &cluster{
		namespaces: make(map[string]labels.Set, len(in.Namespaces)),
		pods:       make([]*pod, 0, len(in.Pods)),
		byKey:      make(map[string]*pod, len(in.Pods)),
		selectors:  newSelectors(),
		peers:      map[string]peerSet{},
	}
	var scratch []byte
	for _, ns := range in.Namespaces {
		if ns == nil {
			continue
		}
		set := labels.Set{}
		for k, v := range ns.Labels {
			set[k] = v
		}
		if _, ok := set[namespaceNameLabel]; !ok {
			set[namespaceNameLabel] = ns.Name
		}
		c.namespaces[ns.Name] = set
	}
	for _, p := range in.Pods {
		if p == nil || !takesPart(p) {
			continue
		}
		ip, ok := podIPv4(p)
		if !ok {
			continue
		}
		var ports []corev1.ContainerPort
		for _, container := range p.Spec.Containers {
			ports = append(ports, container.Ports...)
		}
		entry := &pod{
			key:       p.Namespace + "/" + p.Name,
			namespace: p.Namespace,
			labels:    labels.Set(p.Labels),
			ip:        ip,
			ports:     ports,
		}
		scratch = entry.appendKind(scratch[:0])
		entry.kind = string(scratch)
		c.pods = append(c.pods, entry)
		c.byKey[entry.key] = entry
	}
	slices.SortFunc(c.pods, func(a, b *pod) int { return strings.Compare(a.key, b.key) })
	c.byNamespace = map[string][]*pod{}
	for _, p := range c.pods {
		if _, ok := c.byNamespace[p.namespace]; !ok {
			c.podNamespaces = append(c.podNamespaces, p.namespace)
		}
		c.byNamespace[p.namespace] = append(c.byNamespace[p.namespace], p)
	}
	slices.Sort(c.podNamespaces)
	return c
}

// kindKey is everything an endpoint's rules depend on: its namespace and
// labels (which policies select it) and its container ports.
func (p *pod) kindKey() string { return string(p.appendKind(nil)) }

func (p *pod) appendKind(b []byte) []byte {
	return p.appendPortsKey(appendLabels(appendString(b, p.namespace), p.labels))
}

// appendPortsKey appends the container ports, which decide what named
// ports mean when the endpoint is the destination.
func (p *pod) appendPortsKey(b []byte) []byte {
	b = binary.AppendUvarint(b, uint64(len(p.ports)))
	for _, cp := range p.ports {
		b = appendString(b, cp.Name)
		b = appendString(b, string(cp.Protocol))
		b = binary.AppendVarint(b, int64(cp.ContainerPort))
	}
	return b
}

// namespaceLabels are the labels of a namespace; one the input does not
// list (an informer lagging behind its pods) still carries its name label.
func (c *cluster) namespaceLabels(name string) labels.Set {
	if set, ok := c.namespaces[name]; ok {
		return set
	}
	return labels.Set{namespaceNameLabel: name}
}

// takesPart leaves out pods that share the node's address (they cannot be
// told apart by address) and pods that have finished, whose address may
// already belong to another pod.
func takesPart(p *corev1.Pod) bool {
	if p.Spec.HostNetwork {
		return false
	}
	return p.Status.Phase != corev1.PodSucceeded && p.Status.Phase != corev1.PodFailed
}

// podIPv4 is the pod's first IPv4 address: the datapath filters IPv4 only.
func podIPv4(p *corev1.Pod) (netip.Addr, bool) {
	candidates := []string{p.Status.PodIP}
	for _, ip := range p.Status.PodIPs {
		candidates = append(candidates, ip.IP)
	}
	for _, s := range candidates {
		addr, err := netip.ParseAddr(s)
		if err == nil && addr.Unmap().Is4() {
			return addr.Unmap(), true
		}
	}
	return netip.Addr{}, false
}

// localEndpoints resolves Local against the pods, in pod order, and says why
// the ones it cannot enforce are left out.
func localEndpoints(c *cluster, local map[string]int) ([]*pod, []SkippedEndpoint, error) {
	keys := make([]string, 0, len(local))
	for key, ifindex := range local {
		if ifindex <= 0 || ifindex > 1<<31-1 {
			return nil, nil, fmt.Errorf("local endpoint %s: ifindex %d out of range", key, ifindex)
		}
		keys = append(keys, key)
	}
	slices.Sort(keys)

	endpoints := make([]*pod, 0, len(keys))
	var skipped []SkippedEndpoint
	owner := make(map[netip.Addr]string, len(keys))
	for _, key := range keys {
		p, ok := c.byKey[key]
		if !ok {
			skipped = append(skipped, SkippedEndpoint{Pod: key, Reason: "no running pod with an IPv4 address"})
			continue
		}
		if other, taken := owner[p.ip]; taken {
			skipped = append(skipped, SkippedEndpoint{Pod: key, Reason: fmt.Sprintf("address %s also belongs to %s", p.ip, other)})
			continue
		}
		owner[p.ip] = key
		endpoints = append(endpoints, p)
	}
	return endpoints, skipped, nil
}
