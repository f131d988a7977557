package local

import (
	"errors"
	"fmt"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"
)

// nodeNetns is a cluster's node: it forwards between veths and holds nothing else.
type nodeNetns struct {
	name string
	path string
	ns   netns.NsHandle
	// nl is a netlink socket inside the node, kept for AddPod and RemovePod.
	nl *netlink.Handle
}

// createNode makes the node namespace with forwarding on. It sets c.nodeNS as
// soon as the namespace exists, so that teardown removes it after any failure.
func (c *Cluster) createNode() error {
	name := c.prefix + "-node"
	if err := c.b.registry.add(name); err != nil {
		return err
	}
	path := c.b.paths.netns(name)
	if err := createNetns(path); err != nil {
		return errors.Join(fmt.Errorf("create node %s: %w", name, err), c.b.registry.remove(name))
	}
	n := &nodeNetns{name: name, path: path, ns: netns.None()}
	c.nodeNS = n
	ns, err := netns.GetFromPath(path)
	if err != nil {
		return fmt.Errorf("open node %s: %w", name, err)
	}
	n.ns = ns
	err = inNetns(ns, func() error {
		h, err := netlink.NewHandle(unix.NETLINK_ROUTE)
		if err != nil {
			return fmt.Errorf("netlink: %w", err)
		}
		n.nl = h
		if err := setLinkUp(h, "lo"); err != nil {
			return err
		}
		return enableForwarding()
	})
	if err != nil {
		return fmt.Errorf("configure node %s: %w", name, err)
	}
	return nil
}

// deleteNode removes the node namespace; the kernel deletes every veth in it,
// and with each its peer.
func (c *Cluster) deleteNode() error {
	n := c.nodeNS
	if n == nil {
		return nil
	}
	c.nodeNS = nil
	if n.nl != nil {
		n.nl.Close()
	}
	var errs []error
	if n.ns.IsOpen() {
		errs = append(errs, n.ns.Close())
	}
	if err := deleteNetns(n.path); err != nil {
		errs = append(errs, fmt.Errorf("delete node: %w", err))
	} else {
		errs = append(errs, c.b.registry.remove(n.name))
	}
	return errors.Join(errs...)
}

// setLinkUp brings up the named link of the handle's namespace.
func setLinkUp(h *netlink.Handle, name string) error {
	link, err := h.LinkByName(name)
	if err != nil {
		return fmt.Errorf("find %s: %w", name, err)
	}
	if err := h.LinkSetUp(link); err != nil {
		return fmt.Errorf("set %s up: %w", name, err)
	}
	return nil
}
