package kind

import (
	"fmt"
	"net"
	"net/netip"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
)

// configureExternalNetns enters a container's network namespace from the
// host (the container itself holds no capability) and leaves it with the
// host's address on eth0 and routes to the pod ranges only; the default
// route docker gave it goes.
func configureExternalNetns(pid int, addr netip.Addr, routes []netip.Prefix, hops []netip.Addr) error {
	ns, err := netns.GetFromPid(pid)
	if err != nil {
		return fmt.Errorf("network namespace: %w", err)
	}
	defer ns.Close()
	h, err := netlink.NewHandleAt(ns)
	if err != nil {
		return fmt.Errorf("network namespace: %w", err)
	}
	defer h.Close()
	eth0, err := h.LinkByName("eth0")
	if err != nil {
		return fmt.Errorf("eth0: %w", err)
	}
	ipnet := &net.IPNet{IP: addr.AsSlice(), Mask: net.CIDRMask(32, 32)}
	if err := h.AddrAdd(eth0, &netlink.Addr{IPNet: ipnet}); err != nil {
		return fmt.Errorf("add %s: %w", addr, err)
	}
	existing, err := h.RouteList(nil, netlink.FAMILY_V4)
	if err != nil {
		return fmt.Errorf("list routes: %w", err)
	}
	for _, r := range existing {
		if r.Dst == nil || r.Dst.IP.IsUnspecified() {
			if err := h.RouteDel(&r); err != nil {
				return fmt.Errorf("drop default route: %w", err)
			}
		}
	}
	for i, p := range routes {
		r := &netlink.Route{
			LinkIndex: eth0.Attrs().Index,
			Dst:       &net.IPNet{IP: p.Addr().AsSlice(), Mask: net.CIDRMask(p.Bits(), 32)},
			Gw:        hops[i].AsSlice(),
			// Connections the host opens itself leave from its external address.
			Src: addr.AsSlice(),
		}
		if err := h.RouteReplace(r); err != nil {
			return fmt.Errorf("route %s via %s: %w", p, hops[i], err)
		}
	}
	return nil
}
