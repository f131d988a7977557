package local

import (
	"errors"
	"fmt"
	"net"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"

	"github.com/netpolcheck/netpolcheck/probes"
)

// gatewayIP is every pod's next hop. It lives on each host-side veth in the
// node namespace, so a pod can ARP for it without proxy_arp, and it is
// link-local, so no real network could ever be behind it.
var gatewayIP = net.IPv4(169, 254, 1, 1).To4()

// endpointInterface is the interface name inside a pod or external host.
const endpointInterface = "eth0"

// endpoint is a pod or an external host: a namespace wired ptp-style to the
// node and a probe server answering with its name.
type endpoint struct {
	name      string // "ns/pod" or the external host's name; also the probe identity
	external  bool
	ip        net.IP
	netnsName string
	path      string
	ns        netns.NsHandle
	hostIf    string // veth side in the node namespace
	hostIndex int
	// nl is a netlink socket inside the endpoint, and ifIndex its eth0 there.
	nl      *netlink.Handle
	ifIndex int
	routes  []string // gateway routes installed inside the endpoint
	server  *probes.Server
}

// host32 returns ip as a /32 prefix.
func host32(ip net.IP) *net.IPNet {
	return &net.IPNet{IP: ip.To4(), Mask: net.CIDRMask(32, 32)}
}

// addEndpoint creates, wires and serves one pod or external host. On failure
// it removes what it made.
func (c *Cluster) addEndpoint(name string, external bool, ip net.IP, ports []probes.PortSpec) (*endpoint, error) {
	idx := c.nextIndex
	c.nextIndex++
	ep := &endpoint{
		name:      name,
		external:  external,
		ip:        ip,
		netnsName: fmt.Sprintf("%s-%d", c.prefix, idx),
		ns:        netns.None(),
		hostIf:    fmt.Sprintf("p%d", idx),
		hostIndex: firstHostIndex + idx,
	}
	if external {
		ep.hostIf = fmt.Sprintf("x%d", idx)
	}
	ep.path = c.b.paths.netns(ep.netnsName)
	if err := c.b.registry.add(ep.netnsName); err != nil {
		return nil, err
	}
	if err := createNetns(ep.path); err != nil {
		return nil, errors.Join(fmt.Errorf("create netns for %s: %w", name, err), c.b.registry.remove(ep.netnsName))
	}
	if err := c.configureEndpoint(ep, ports); err != nil {
		return nil, errors.Join(fmt.Errorf("set up %s: %w", name, err), c.destroyEndpoint(ep, true))
	}
	return ep, nil
}

// configureEndpoint wires a fresh endpoint namespace and starts its server inside it.
func (c *Cluster) configureEndpoint(ep *endpoint, ports []probes.PortSpec) error {
	ns, err := netns.GetFromPath(ep.path)
	if err != nil {
		return fmt.Errorf("open netns: %w", err)
	}
	ep.ns = ns
	if err := c.wireHostSide(ep); err != nil {
		return fmt.Errorf("wire node side: %w", err)
	}
	routes := c.wantRoutes(ep)
	err = inNetns(ep.ns, func() error {
		h, err := netlink.NewHandle(unix.NETLINK_ROUTE)
		if err != nil {
			return fmt.Errorf("netlink: %w", err)
		}
		ep.nl = h
		if ep.ifIndex, err = wireEndpointSide(h, ep.ip, routes); err != nil {
			return err
		}
		if len(ports) == 0 {
			return nil
		}
		srv, err := probes.Serve(c.serveCtx, ep.name, ports)
		if err != nil {
			return err
		}
		if c.services != nil {
			// Any pod a probe by name takes for the cluster's DNS answers
			// the cluster's Service names on its UDP ports.
			srv.AnswerDNS(c.services.answer)
		}
		ep.server = srv
		return nil
	})
	if err != nil {
		return err
	}
	ep.routes = routes
	return nil
}

// firstHostIndex is the ifindex of the first host-side veth in a node.
// Without it the first veth would get ifindex 2 in the node, the same as its
// peer eth0 in the endpoint; the kernel then takes the pair for an ordinary
// link, not a stacked one, and may delay bringing it up by up to a second.
const firstHostIndex = 10

// wireHostSide creates the veth pair from the node, with its peer born inside
// the endpoint's namespace, and routes the endpoint's /32 to it.
func (c *Cluster) wireHostSide(ep *endpoint) error {
	nl := c.nodeNS.nl
	veth := &netlink.Veth{
		LinkAttrs:     netlink.LinkAttrs{Name: ep.hostIf, Index: ep.hostIndex},
		PeerName:      endpointInterface,
		PeerNamespace: netlink.NsFd(int(ep.ns)),
	}
	if err := nl.LinkAdd(veth); err != nil {
		return fmt.Errorf("add veth %s: %w", ep.hostIf, err)
	}
	link, err := nl.LinkByName(ep.hostIf)
	if err != nil {
		return fmt.Errorf("find veth %s: %w", ep.hostIf, err)
	}
	if err := nl.AddrAdd(link, &netlink.Addr{IPNet: host32(gatewayIP)}); err != nil {
		return fmt.Errorf("add gateway address to %s: %w", ep.hostIf, err)
	}
	if err := nl.LinkSetUp(link); err != nil {
		return fmt.Errorf("set %s up: %w", ep.hostIf, err)
	}
	route := &netlink.Route{LinkIndex: ep.hostIndex, Dst: host32(ep.ip), Scope: netlink.SCOPE_LINK}
	if err := nl.RouteAdd(route); err != nil {
		return fmt.Errorf("route %s to %s: %w", ep.ip, ep.hostIf, err)
	}
	return nil
}

// wireEndpointSide configures the endpoint's namespace through h: the
// address as a /32, a link route to the gateway, and the gateway routes. It
// returns the ifindex of the endpoint's interface.
func wireEndpointSide(h *netlink.Handle, ip net.IP, routes []string) (int, error) {
	if err := setLinkUp(h, "lo"); err != nil {
		return 0, err
	}
	link, err := h.LinkByName(endpointInterface)
	if err != nil {
		return 0, fmt.Errorf("find %s: %w", endpointInterface, err)
	}
	if err := h.AddrAdd(link, &netlink.Addr{IPNet: host32(ip)}); err != nil {
		return 0, fmt.Errorf("add address %s: %w", ip, err)
	}
	if err := h.LinkSetUp(link); err != nil {
		return 0, fmt.Errorf("set %s up: %w", endpointInterface, err)
	}
	index := link.Attrs().Index
	gw := &netlink.Route{LinkIndex: index, Dst: host32(gatewayIP), Scope: netlink.SCOPE_LINK}
	if err := h.RouteAdd(gw); err != nil {
		return 0, fmt.Errorf("route to gateway: %w", err)
	}
	return index, changeGatewayRoutes(h, index, routes, nil)
}

// destroyEndpoint stops an endpoint's server and deletes its namespace. With
// unlink it also deletes the host-side veth at once: when a single pod goes,
// the node must stop routing to it now, not when the kernel gets round to
// freeing the namespace.
func (c *Cluster) destroyEndpoint(ep *endpoint, unlink bool) error {
	var errs []error
	if ep.server != nil {
		if err := ep.server.Close(); err != nil {
			errs = append(errs, fmt.Errorf("close server of %s: %w", ep.name, err))
		}
		ep.server = nil
	}
	if unlink && c.nodeNS != nil && c.nodeNS.nl != nil {
		if link, err := c.nodeNS.nl.LinkByName(ep.hostIf); err == nil {
			if err := c.nodeNS.nl.LinkDel(link); err != nil {
				errs = append(errs, fmt.Errorf("delete veth %s: %w", ep.hostIf, err))
			}
		}
	}
	if ep.nl != nil {
		// The socket would keep the namespace alive after its deletion.
		ep.nl.Close()
		ep.nl = nil
	}
	if ep.ns.IsOpen() {
		errs = append(errs, ep.ns.Close())
	}
	if err := deleteNetns(ep.path); err != nil {
		errs = append(errs, fmt.Errorf("delete netns of %s: %w", ep.name, err))
	} else {
		errs = append(errs, c.b.registry.remove(ep.netnsName))
	}
	return errors.Join(errs...)
}
