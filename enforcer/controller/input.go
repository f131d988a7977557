package controller

import (
	"fmt"
	"math"
	"net/netip"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/labels"
	npav1alpha1 "sigs.k8s.io/network-policy-api/apis/v1alpha1"
	npav1alpha2 "sigs.k8s.io/network-policy-api/apis/v1alpha2"

	"github.com/netpolcheck/netpolcheck/enforcer/compile"
)

// snapshot is the input of one sync and what it could not resolve.
type snapshot struct {
	input compile.Input
	// marker is the smallest marker of the three kinds, read before each list.
	marker uint64
	// pending are local pods left out, "ns/name: reason".
	pending []string
	// unrouted is set when a local pod has an address but no device yet,
	// which only time (the CNI finishing) can fix.
	unrouted bool
}

// snapshot reads the listers, each kind's sentinel before its list, so that
// the marker never claims a write the lists miss.
func (c *Controller) snapshot() (*snapshot, error) {
	s := &snapshot{}
	nsMarker, err := sentinelMarker(c.namespaces.Get(SyncNamespace))
	if err != nil {
		return nil, err
	}
	namespaces, err := c.namespaces.List(labels.Everything())
	if err != nil {
		return nil, fmt.Errorf("list namespaces: %w", err)
	}
	podMarker, err := sentinelMarker(c.pods.Pods(SyncNamespace).Get(SyncObject))
	if err != nil {
		return nil, err
	}
	pods, err := c.pods.List(labels.Everything())
	if err != nil {
		return nil, fmt.Errorf("list pods: %w", err)
	}
	policyMarker, err := sentinelMarker(c.policies.NetworkPolicies(SyncNamespace).Get(SyncObject))
	if err != nil {
		return nil, err
	}
	policies, err := c.policies.List(labels.Everything())
	if err != nil {
		return nil, fmt.Errorf("list network policies: %w", err)
	}
	clusterMarker := uint64(math.MaxUint64)
	var clusterPolicies []*npav1alpha2.ClusterNetworkPolicy
	if c.clusterPolicies != nil {
		if clusterMarker, err = sentinelMarker(c.clusterPolicies.Get(SyncNamespace)); err != nil {
			return nil, err
		}
		if clusterPolicies, err = c.clusterPolicies.List(labels.Everything()); err != nil {
			return nil, fmt.Errorf("list cluster network policies: %w", err)
		}
		clusterPolicies = slices.DeleteFunc(clusterPolicies, func(p *npav1alpha2.ClusterNetworkPolicy) bool { return isSentinel("", p.Name) })
	}
	// The v1alpha1 kinds have no sentinel (the baseline's one name is
	// "default"): the marker does not cover them, and a sync waiter learns
	// of them by probing, as on any cluster.
	var admins []*npav1alpha1.AdminNetworkPolicy
	var baselines []*npav1alpha1.BaselineAdminNetworkPolicy
	if c.adminPolicies != nil {
		if admins, err = c.adminPolicies.List(labels.Everything()); err != nil {
			return nil, fmt.Errorf("list admin network policies: %w", err)
		}
		if baselines, err = c.baselinePolicies.List(labels.Everything()); err != nil {
			return nil, fmt.Errorf("list baseline admin network policies: %w", err)
		}
	}
	routes, err := c.opts.Routes.HostRoutes()
	if err != nil {
		return nil, err
	}

	s.marker = min(nsMarker, podMarker, policyMarker, clusterMarker)
	s.input = compile.Input{
		Namespaces: slices.DeleteFunc(namespaces, func(ns *corev1.Namespace) bool { return isSentinel("", ns.Name) }),
		Pods:       slices.DeleteFunc(pods, func(p *corev1.Pod) bool { return isSentinel(p.Namespace, p.Name) }),
		Policies: slices.DeleteFunc(policies, func(p *networkingv1.NetworkPolicy) bool {
			return isSentinel(p.Namespace, p.Name)
		}),
		ClusterPolicies:  clusterPolicies,
		AdminPolicies:    admins,
		BaselinePolicies: baselines,
	}
	s.input.Local, s.pending, s.unrouted = localEndpoints(s.input.Pods, c.opts.NodeName, routes)
	return s, nil
}

// sentinelMarker reads the marker from a lister's answer; a sentinel not
// written yet counts as marker zero.
func sentinelMarker[T interface{ GetAnnotations() map[string]string }](obj T, err error) (uint64, error) {
	if apierrors.IsNotFound(err) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("read sync marker: %w", err)
	}
	return markerOf(obj.GetAnnotations()), nil
}

// localEndpoints picks the pods of this node that can be enforced and finds
// each one's device by the node's /32 route to it. The others are pending,
// with the reason; unrouted says whether any lacks only its route.
func localEndpoints(pods []*corev1.Pod, node string, routes map[netip.Addr]int) (map[string]int, []string, bool) {
	local := map[string]int{}
	var pending []string
	unrouted := false
	for _, p := range pods {
		if p.Spec.NodeName != node || p.Spec.HostNetwork || finished(p) {
			continue
		}
		key := p.Namespace + "/" + p.Name
		ip, ok := podIPv4(p)
		if !ok {
			pending = append(pending, key+": no IPv4 address yet")
			continue
		}
		ifindex, ok := routes[ip]
		if !ok {
			pending = append(pending, fmt.Sprintf("%s: no /32 route to %s in the node", key, ip))
			unrouted = true
			continue
		}
		local[key] = ifindex
	}
	slices.Sort(pending)
	return local, pending, unrouted
}

// finished pods may already have handed their address to another pod.
func finished(p *corev1.Pod) bool {
	return p.Status.Phase == corev1.PodSucceeded || p.Status.Phase == corev1.PodFailed
}

// podIPv4 is the pod's first IPv4 address, as the datapath filters IPv4 only.
func podIPv4(p *corev1.Pod) (netip.Addr, bool) {
	candidates := []string{p.Status.PodIP}
	for _, ip := range p.Status.PodIPs {
		candidates = append(candidates, ip.IP)
	}
	for _, s := range candidates {
		if addr, err := netip.ParseAddr(s); err == nil && addr.Unmap().Is4() {
			return addr.Unmap(), true
		}
	}
	return netip.Addr{}, false
}

// skippedReasons renders the compiler's skipped endpoints as pending entries.
func skippedReasons(skipped []compile.SkippedEndpoint) []string {
	out := make([]string, 0, len(skipped))
	for _, s := range skipped {
		out = append(out, s.Pod+": "+s.Reason)
	}
	return out
}

// joinPending merges two sorted pending lists.
func joinPending(a, b []string) []string {
	out := append(slices.Clone(a), b...)
	slices.SortFunc(out, strings.Compare)
	return slices.Compact(out)
}
