package scenarios

import (
	"encoding/binary"
	"fmt"
	"net/netip"
)

// Host numbers handed out in each namespace's /24: .10 up to .254, leaving
// the low addresses for gateways and the like, as real CNIs do.
const (
	firstHost = 10
	lastHost  = 254
)

// ReservedGatewayIP is the local cluster's gateway, present on every pod's
// link. No pod or external host may have it.
const ReservedGatewayIP = "169.254.1.1"

// parsePodCIDR accepts an IPv4 range of /24 or wider: namespaces start in a /24 of it each.
func parsePodCIDR(s string) (netip.Prefix, string) {
	prefix, msg := parseCIDR(s)
	switch {
	case msg != "":
		return netip.Prefix{}, msg
	case !prefix.Addr().Is4():
		return netip.Prefix{}, fmt.Sprintf("pod CIDR %q is IPv6: IPv6 and dual-stack pods are not supported yet", s)
	case prefix.Bits() > 24:
		return netip.Prefix{}, fmt.Sprintf("pod CIDR %q must be /24 or wider: each namespace starts with a /24", s)
	}
	return prefix.Masked(), ""
}

// PodCIDRProblem says what is wrong with a pod CIDR given on the command
// line, or "" when it is usable.
func PodCIDRProblem(s string) string {
	_, msg := parsePodCIDR(s)
	return msg
}

// addressProblem says why addr cannot be the address of a pod (pod true) or
// of an external host, or "" when it can. These addresses would either never
// reach a test namespace (loopback, multicast, broadcast) or collide with
// the local cluster's own plumbing.
func addressProblem(addr netip.Addr, pod bool) string {
	switch {
	case addr.Is6() && !addr.Is4In6():
		if pod {
			return "is IPv6: IPv6 and dual-stack pods are not supported yet"
		}
		return "is IPv6: external hosts are IPv4 only"
	case addr.Is4In6():
		return "is an IPv4-mapped IPv6 address: write it as IPv4"
	case addr.IsUnspecified() || addr.As4()[0] == 0:
		return "is in 0.0.0.0/8 (\"this network\"), not a host address"
	case addr.IsLoopback():
		return "is a loopback address, not a host address"
	case addr.IsMulticast():
		return "is a multicast address, not a host address"
	case addr == netip.AddrFrom4([4]byte{255, 255, 255, 255}):
		return "is the broadcast address, not a host address"
	case addr.As4()[0] >= 240:
		return "is in the reserved range 240.0.0.0/4, not a host address"
	case addr.String() == ReservedGatewayIP:
		return "is reserved: it is the local cluster's gateway on every pod's link"
	case pod && addr.IsLinkLocalUnicast():
		return "is link-local (169.254.0.0/16), which no CNI gives a pod"
	}
	return ""
}

// planningCIDR is the range planned addresses come from when the model names
// none: DefaultPodCIDR, or, when pinned addresses (a real cluster's pods) or
// external hosts already lie in it, the first of these private /16s that
// holds none of them, so that planned pods never mix with given ones.
func planningCIDR(taken []netip.Addr) netip.Prefix {
	free := func(p netip.Prefix) bool {
		for _, a := range taken {
			if p.Contains(a) {
				return false
			}
		}
		return true
	}
	candidates := []netip.Prefix{netip.MustParsePrefix(DefaultPodCIDR)}
	for b := 16; b <= 31; b++ {
		candidates = append(candidates, netip.PrefixFrom(netip.AddrFrom4([4]byte{172, byte(b), 0, 0}), 16))
	}
	for b := 64; b <= 127; b++ {
		candidates = append(candidates, netip.PrefixFrom(netip.AddrFrom4([4]byte{100, byte(b), 0, 0}), 16))
	}
	for _, p := range candidates {
		if free(p) {
			return p
		}
	}
	// Over 80 /16s all in use: planned addresses then skip the taken ones.
	return candidates[0]
}

// pinnedAddresses collects every valid pinned pod IP of a scenario, in the
// model and in createPod actions.
func pinnedAddresses(s *Scenario) map[netip.Addr]bool {
	out := map[netip.Addr]bool{}
	pin := func(ip string) {
		if addr, err := netip.ParseAddr(ip); err == nil {
			out[addr] = true
		}
	}
	for _, ns := range s.Model.Namespaces {
		for _, p := range ns.Pods {
			pin(p.IP)
		}
	}
	for _, step := range s.Steps {
		for _, a := range step.Actions {
			if a.CreatePod != nil {
				pin(a.CreatePod.IP)
			}
		}
	}
	return out
}

// hostAddress is host number h of the /24 at index i of the pod CIDR.
func (st *State) hostAddress(i, h int) netip.Addr {
	base := st.podCIDR.Addr().As4()
	n := binary.BigEndian.Uint32(base[:]) + uint32(i)<<8 + uint32(h)
	var out [4]byte
	binary.BigEndian.PutUint32(out[:], n)
	return netip.AddrFrom4(out)
}

func (st *State) subnetCount() int {
	return 1 << (24 - st.podCIDR.Bits())
}

// free tells whether a planned address may go to a new pod.
func (st *State) free(addr netip.Addr) bool {
	_, used := st.ipUser[addr]
	return !used && !st.reserved[addr] && !st.handedOut[addr]
}

// planAddress is the address the next pod of a namespace gets: the lowest
// host number of its /24 not handed out before, not pinned anywhere, not in
// use. A namespace whose /24 is full (or that has none, past the range's
// count of /24s) goes on in the overflow, which runs from the top /24 of
// the range downwards, so a namespace may hold thousands of pods.
func (st *State) planAddress(ns string) (string, string) {
	i, ok := st.subnet[ns]
	if !ok {
		return "", fmt.Sprintf("namespace %q does not exist", ns)
	}
	if i < st.subnetCount() {
		for h := max(st.nextHost[i], firstHost); h <= lastHost; h++ {
			if addr := st.hostAddress(i, h); st.free(addr) {
				return addr.String(), ""
			}
		}
	}
	for ; st.overflow < st.subnetCount()*(lastHost-firstHost+1); st.overflow++ {
		i := st.subnetCount() - 1 - st.overflow/(lastHost-firstHost+1)
		h := firstHost + st.overflow%(lastHost-firstHost+1)
		if addr := st.hostAddress(i, h); st.free(addr) {
			return addr.String(), ""
		}
	}
	return "", fmt.Sprintf("namespace %q gets no address: every address of the pod CIDR %s is taken", ns, st.podCIDR)
}

// checkPinned validates a pinned pod IP and returns it in canonical form.
// Any IPv4 host address is accepted, inside the pod CIDR or not: manifests of
// a real cluster keep the addresses the cluster gave.
func (st *State) checkPinned(ip string) (string, string) {
	addr, err := netip.ParseAddr(ip)
	if err != nil || addr.Zone() != "" {
		return "", fmt.Sprintf("invalid IP %q", ip)
	}
	if msg := addressProblem(addr, true); msg != "" {
		return "", fmt.Sprintf("pod IP %q %s", ip, msg)
	}
	if user, used := st.ipUser[addr]; used {
		return "", fmt.Sprintf("pod IP %q is already used by pod %s", ip, user)
	}
	if host, ok := st.externalAt(addr); ok {
		return "", fmt.Sprintf("pod IP %q is already used by external host %s", ip, host)
	}
	return addr.String(), ""
}

func (st *State) externalAt(addr netip.Addr) (string, bool) {
	for _, h := range st.external {
		if h.IP == addr.String() {
			return h.Name, true
		}
	}
	return "", false
}

// addPod adds a pod and marks its address as handed out, so that it is never
// planned again in this scenario, even after the pod is gone.
func (st *State) addPod(p Pod) {
	st.pods = append(st.pods, clonePod(p))
	st.podIDs[p.ID()] = true
	if addr, err := netip.ParseAddr(p.IP); err == nil {
		st.ipUser[addr] = p.ID()
		st.handedOut[addr] = true
		// A pinned address does not move the counter: pods planned later
		// still fill the /24 from the bottom, skipping it.
		if i, ok := st.subnet[p.Namespace]; ok && i < st.subnetCount() && !st.reserved[addr] {
			for h := max(st.nextHost[i], firstHost); h <= lastHost; h++ {
				if st.hostAddress(i, h) == addr {
					st.nextHost[i] = h + 1
					break
				}
			}
		}
	}
}

// forgetPods drops the index entries of pods leaving the world.
func (st *State) forgetPods(gone func(Pod) bool) {
	for _, p := range st.pods {
		if gone(p) {
			delete(st.podIDs, p.ID())
			if addr, err := netip.ParseAddr(p.IP); err == nil {
				delete(st.ipUser, addr)
			}
		}
	}
}
