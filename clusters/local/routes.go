package local

import (
	"net"
	"slices"
)

// gatewayRoutes returns the prefixes an endpoint sends to the node: the pod
// CIDR, the /24 of each pod outside it (manifests of a real cluster keep
// their own addresses, and one route per /24 instead of per pod keeps a
// thousand-pod world at a handful of routes; the node has no route beyond
// its pods, so the rest of such a /24 ends there), and, for pods only, a /32
// for each external host. Nothing else is routed, least of all a default route, so a
// probe to any other address fails with "network is unreachable" inside the
// namespace instead of leaving the machine. The result is sorted and free of
// duplicates, so that two route sets compare with slices.Equal.
func gatewayRoutes(podCIDR *net.IPNet, self net.IP, external bool, podIPs, externalIPs []net.IP) []string {
	routes := []string{podCIDR.String()}
	host := func(ip net.IP) {
		if !ip.Equal(self) {
			routes = append(routes, (&net.IPNet{IP: ip.To4(), Mask: net.CIDRMask(32, 32)}).String())
		}
	}
	for _, ip := range podIPs {
		if !podCIDR.Contains(ip) {
			mask := net.CIDRMask(24, 32)
			routes = append(routes, (&net.IPNet{IP: ip.To4().Mask(mask), Mask: mask}).String())
		}
	}
	if !external {
		for _, ip := range externalIPs {
			host(ip)
		}
	}
	slices.Sort(routes)
	return slices.Compact(routes)
}

// routeDiff tells which routes to add and which to delete to go from have to want.
func routeDiff(have, want []string) (add, del []string) {
	for _, r := range want {
		if !slices.Contains(have, r) {
			add = append(add, r)
		}
	}
	for _, r := range have {
		if !slices.Contains(want, r) {
			del = append(del, r)
		}
	}
	return add, del
}
