package local

import (
	"errors"
	"fmt"
	"net"
	"slices"

	"github.com/vishvananda/netlink"
)

// changeGatewayRoutes adds and deletes routes via the gateway.
func changeGatewayRoutes(h *netlink.Handle, index int, add, del []string) error {
	for _, list := range []struct {
		cidrs []string
		op    func(*netlink.Route) error
		verb  string
	}{{add, h.RouteAdd, "add"}, {del, h.RouteDel, "delete"}} {
		for _, cidr := range list.cidrs {
			_, dst, err := net.ParseCIDR(cidr)
			if err != nil {
				return fmt.Errorf("%s route %s: %w", list.verb, cidr, err)
			}
			if err := list.op(&netlink.Route{LinkIndex: index, Dst: dst, Gw: gatewayIP}); err != nil {
				return fmt.Errorf("%s route %s: %w", list.verb, cidr, err)
			}
		}
	}
	return nil
}

// syncRoutes brings every endpoint's gateway routes in line with the pods
// that exist now; only pods outside the pod CIDR ever change them.
func (c *Cluster) syncRoutes() error {
	var errs []error
	for _, ep := range c.endpoints {
		want := c.wantRoutes(ep)
		add, del := routeDiff(ep.routes, want)
		if len(add)+len(del) == 0 {
			continue
		}
		err := changeGatewayRoutes(ep.nl, ep.ifIndex, add, del)
		if err != nil {
			errs = append(errs, fmt.Errorf("routes of %s: %w", ep.name, err))
			continue
		}
		ep.routes = want
	}
	return errors.Join(errs...)
}

// wantRoutes computes an endpoint's gateway routes from the recorded world.
func (c *Cluster) wantRoutes(ep *endpoint) []string {
	var pods, externals []net.IP
	for _, p := range c.ledger.w.Pods {
		if ip, err := parseIPv4(p.IP); err == nil {
			pods = append(pods, ip)
		}
	}
	for _, h := range c.ledger.w.ExternalHosts {
		if ip, err := parseIPv4(h.IP); err == nil {
			externals = append(externals, ip)
		}
	}
	routes := gatewayRoutes(c.podCIDR, ep.ip, ep.external, pods, externals)
	if c.services != nil && !ep.external {
		// Pods reach ClusterIPs through the node, which translates them.
		routes = append(routes, ServiceCIDR)
		slices.Sort(routes)
	}
	return routes
}
