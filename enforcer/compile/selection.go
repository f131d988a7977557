package compile

import (
	"encoding/binary"
	"fmt"
	"net/netip"
	"slices"

	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/labels"
)

// policyTypes applies the API's defaulting: "If this field is not
// specified, it will default based on the existence of ingress or egress
// rules; policies that contain an egress section are assumed to affect
// egress, and all policies (whether or not they contain an ingress section)
// are assumed to affect ingress."
func policyTypes(np *networkingv1.NetworkPolicy) (ingress, egress bool) {
	declared := np.Spec.PolicyTypes
	if len(declared) == 0 {
		declared = []networkingv1.PolicyType{networkingv1.PolicyTypeIngress}
		if len(np.Spec.Egress) > 0 {
			declared = append(declared, networkingv1.PolicyTypeEgress)
		}
	}
	return slices.Contains(declared, networkingv1.PolicyTypeIngress), slices.Contains(declared, networkingv1.PolicyTypeEgress)
}

// peerSet is the remote side of a rule: the addresses it admits, and the
// pods among them (whose named ports an egress rule may refer to).
type peerSet struct {
	prefixes []netip.Prefix
	pods     []*pod
}

// everyone is the peer set of a rule with an empty from or to: every pod and
// every address.
func everyone(c *cluster) peerSet {
	return peerSet{prefixes: []netip.Prefix{netip.PrefixFrom(netip.IPv4Unspecified(), 0)}, pods: c.pods}
}

// rulePeers is the union of a rule's peers, evaluated in the policy's
// namespace. The pods among them are listed only when withPods asks.
func rulePeers(c *cluster, namespace string, peers []networkingv1.NetworkPolicyPeer, withPods bool) (peerSet, error) {
	if len(peers) == 0 {
		return everyone(c), nil
	}
	if len(peers) == 1 {
		// Peer sets are never changed once made: the memoized one serves.
		set, err := peerAddresses(c, namespace, &peers[0], withPods)
		if err != nil {
			return peerSet{}, fmt.Errorf("peer 0: %w", err)
		}
		return set, nil
	}
	var set peerSet
	seen := map[string]bool{}
	for i := range peers {
		one, err := peerAddresses(c, namespace, &peers[i], withPods)
		if err != nil {
			return peerSet{}, fmt.Errorf("peer %d: %w", i, err)
		}
		set.prefixes = append(set.prefixes, one.prefixes...)
		for _, p := range one.pods {
			if !seen[p.key] {
				seen[p.key] = true
				set.pods = append(set.pods, p)
			}
		}
	}
	return set, nil
}

// peerAddresses resolves one peer. Policies name the same peers over and
// over (a namespace by name, pods of one app), so each distinct peer is
// resolved once per cluster index.
func peerAddresses(c *cluster, namespace string, peer *networkingv1.NetworkPolicyPeer, withPods bool) (peerSet, error) {
	key := string(appendPeerKey(nil, namespace, peer, withPods))
	if set, ok := c.peers[key]; ok {
		return set, nil
	}
	set, err := resolvePeer(c, namespace, peer, withPods)
	if err != nil {
		return peerSet{}, err
	}
	c.peers[key] = set
	return set, nil
}

// appendPeerKey appends a text that two peers share exactly when they
// resolve alike: the policy's namespace counts only for a pod selector
// alone.
func appendPeerKey(b []byte, namespace string, peer *networkingv1.NetworkPolicyPeer, withPods bool) []byte {
	if withPods {
		b = append(b, 'p')
	}
	if peer.PodSelector != nil && peer.NamespaceSelector == nil && peer.IPBlock == nil {
		b = appendString(append(b, 'i'), namespace)
	}
	b = appendSelectorKey(b, peer.PodSelector)
	b = appendSelectorKey(b, peer.NamespaceSelector)
	if block := peer.IPBlock; block != nil {
		b = appendString(append(b, 'b'), block.CIDR)
		b = binary.AppendUvarint(b, uint64(len(block.Except)))
		for _, e := range block.Except {
			b = appendString(b, e)
		}
	}
	return b
}

func resolvePeer(c *cluster, namespace string, peer *networkingv1.NetworkPolicyPeer, withPods bool) (peerSet, error) {
	if peer.IPBlock != nil {
		if peer.PodSelector != nil || peer.NamespaceSelector != nil {
			return peerSet{}, fmt.Errorf("ipBlock cannot be combined with selectors")
		}
		return blockPeers(c, peer.IPBlock, withPods)
	}
	if peer.PodSelector == nil && peer.NamespaceSelector == nil {
		return peerSet{}, fmt.Errorf("peer sets none of podSelector, namespaceSelector, ipBlock")
	}

	// An unset pod selector beside a namespace selector means every pod.
	podSel := labels.Everything()
	if peer.PodSelector != nil {
		sel, err := c.selectors.parse(peer.PodSelector)
		if err != nil {
			return peerSet{}, fmt.Errorf("podSelector: %w", err)
		}
		podSel = sel
	}
	var nsSel labels.Selector
	if peer.NamespaceSelector != nil {
		sel, err := c.selectors.parse(peer.NamespaceSelector)
		if err != nil {
			return peerSet{}, fmt.Errorf("namespaceSelector: %w", err)
		}
		nsSel = sel
	}

	// A pod selector alone stays in the policy's own namespace.
	namespaces := []string{namespace}
	if nsSel != nil {
		namespaces = namespaces[:0]
		for _, ns := range c.podNamespaces {
			if nsSel.Matches(c.namespaceLabels(ns)) {
				namespaces = append(namespaces, ns)
			}
		}
	}
	var set peerSet
	for _, ns := range namespaces {
		for _, p := range c.byNamespace[ns] {
			if podSel.Matches(p.labels) {
				set.prefixes = append(set.prefixes, netip.PrefixFrom(p.ip, 32))
				if withPods {
					set.pods = append(set.pods, p)
				}
			}
		}
	}
	return set, nil
}

// blockPeers is an ipBlock: its CIDR less its exceptions, and, if withPods,
// the pods whose address falls inside (ipBlock matches pod addresses too).
// IPv6 blocks admit nothing here, because the datapath carries IPv4 only.
func blockPeers(c *cluster, block *networkingv1.IPBlock, withPods bool) (peerSet, error) {
	cidr, err := netip.ParsePrefix(block.CIDR)
	if err != nil {
		return peerSet{}, fmt.Errorf("ipBlock cidr: %w", err)
	}
	excepts := make([]netip.Prefix, 0, len(block.Except))
	for _, e := range block.Except {
		ex, err := netip.ParsePrefix(e)
		if err != nil {
			return peerSet{}, fmt.Errorf("ipBlock except: %w", err)
		}
		if ex.Addr().Is4() {
			excepts = append(excepts, ex.Masked())
		}
	}
	if !cidr.Addr().Is4() {
		return peerSet{}, nil
	}
	set := peerSet{prefixes: subtract(cidr.Masked(), excepts)}
	if !withPods {
		return set, nil
	}
	for _, p := range c.pods {
		if containsAny(set.prefixes, p.ip) {
			set.pods = append(set.pods, p)
		}
	}
	return set, nil
}

func containsAny(prefixes []netip.Prefix, addr netip.Addr) bool {
	for _, p := range prefixes {
		if p.Contains(addr) {
			return true
		}
	}
	return false
}
