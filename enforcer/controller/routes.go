package controller

import (
	"fmt"
	"net/netip"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"
)

// NodeRoutes reads a node's device routes over a netlink socket opened in
// the node's network namespace, so reading them needs no thread switching.
type NodeRoutes struct {
	h *netlink.Handle
}

var _ Routes = (*NodeRoutes)(nil)

// NewNodeRoutes opens a netlink socket in the network namespace at path
// (such as /run/netns/node), or in the caller's when path is empty, as the
// DaemonSet runs in the host's.
func NewNodeRoutes(path string) (*NodeRoutes, error) {
	if path == "" {
		h, err := netlink.NewHandle(unix.NETLINK_ROUTE)
		if err != nil {
			return nil, fmt.Errorf("open node routes: %w", err)
		}
		return &NodeRoutes{h: h}, nil
	}
	ns, err := netns.GetFromPath(path)
	if err != nil {
		return nil, fmt.Errorf("open node routes: %w", err)
	}
	defer ns.Close()
	h, err := netlink.NewHandleAt(ns, unix.NETLINK_ROUTE)
	if err != nil {
		return nil, fmt.Errorf("open node routes in %s: %w", path, err)
	}
	return &NodeRoutes{h: h}, nil
}

// HostRoutes maps the destination of every /32 route of the main table that
// goes straight out of a device (no gateway) onto that device.
func (r *NodeRoutes) HostRoutes() (map[netip.Addr]int, error) {
	routes, err := r.h.RouteListFiltered(netlink.FAMILY_V4, &netlink.Route{Table: unix.RT_TABLE_MAIN}, netlink.RT_FILTER_TABLE)
	if err != nil {
		return nil, fmt.Errorf("list node routes: %w", err)
	}
	out := make(map[netip.Addr]int, len(routes))
	for _, rt := range routes {
		if rt.Dst == nil || rt.LinkIndex <= 0 || rt.Gw != nil {
			continue
		}
		if ones, bits := rt.Dst.Mask.Size(); ones != 32 || bits != 32 {
			continue
		}
		addr, ok := netip.AddrFromSlice(rt.Dst.IP.To4())
		if !ok {
			continue
		}
		out[addr] = rt.LinkIndex
	}
	return out, nil
}

// Close closes the netlink socket.
func (r *NodeRoutes) Close() error {
	r.h.Close()
	return nil
}
