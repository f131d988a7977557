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

// parsePodCIDR accepts an IPv4 range of /24 or wider: every namespace gets a /24 of it.
func parsePodCIDR(s string) (netip.Prefix, string) {
	prefix, msg := parseCIDR(s)
	switch {
	case msg != "":
		return netip.Prefix{}, msg
	case !prefix.Addr().Is4():
		return netip.Prefix{}, fmt.Sprintf("pod CIDR %q must be IPv4", s)
	case prefix.Bits() > 24:
		return netip.Prefix{}, fmt.Sprintf("pod CIDR %q must be /24 or wider: each namespace gets a /24", s)
	}
	return prefix.Masked(), ""
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

// planAddress is the address the next pod of a namespace gets: the lowest
// host number not handed out before, not pinned anywhere, not in use.
func (st *State) planAddress(ns string) (string, string) {
	i, ok := st.subnet[ns]
	if !ok {
		return "", fmt.Sprintf("namespace %q does not exist", ns)
	}
	if i >= st.subnetCount() {
		return "", fmt.Sprintf("namespace %q gets no addresses: the pod CIDR %s has room for %d namespaces", ns, st.podCIDR, st.subnetCount())
	}
	for h := max(st.nextHost[i], firstHost); h <= lastHost; h++ {
		addr := st.hostAddress(i, h)
		if _, used := st.addressUser(addr.String()); !st.reserved[addr] && !used {
			return addr.String(), ""
		}
	}
	return "", fmt.Sprintf("namespace %q has no addresses left", ns)
}

// checkPinned validates a pinned pod IP and returns it in canonical form.
func (st *State) checkPinned(ip string) (string, string) {
	addr, err := netip.ParseAddr(ip)
	if err != nil || addr.Zone() != "" {
		return "", fmt.Sprintf("invalid IP %q", ip)
	}
	if !st.podCIDR.Contains(addr) {
		return "", fmt.Sprintf("pod IP %q is outside the pod CIDR %s", ip, st.podCIDR)
	}
	if user, used := st.addressUser(addr.String()); used {
		return "", fmt.Sprintf("pod IP %q is already used by pod %s", ip, user)
	}
	return addr.String(), ""
}

func (st *State) addressUser(ip string) (string, bool) {
	for _, p := range st.pods {
		if p.IP == ip {
			return p.ID(), true
		}
	}
	return "", false
}

// addPod adds a pod and, when its address is a planned one, moves the
// namespace's counter past it so that it is never handed out again.
func (st *State) addPod(p Pod) {
	st.pods = append(st.pods, clonePod(p))
	i, ok := st.subnet[p.Namespace]
	addr, err := netip.ParseAddr(p.IP)
	if !ok || err != nil || st.reserved[addr] || i >= st.subnetCount() {
		return
	}
	for h := max(st.nextHost[i], firstHost); h <= lastHost; h++ {
		if st.hostAddress(i, h) == addr {
			st.nextHost[i] = h + 1
			return
		}
	}
}
