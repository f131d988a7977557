package local

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/vishvananda/netlink"
)

// linkUpTimeout bounds the wait for veths to come up. The kernel's linkwatch
// normally takes a few milliseconds, at worst about a second.
const linkUpTimeout = 5 * time.Second

// waitLinksUp returns once both sides of every endpoint's veth are
// operationally up. Until then the kernel's linkwatch has not attached a
// queue to the device and it silently drops what it sends: a lost first ARP
// or SYN costs a second, longer than a probe's timeout, so probing at once
// would see a blocked cell where traffic is allowed.
func (c *Cluster) waitLinksUp(ctx context.Context, eps []*endpoint) error {
	ctx, cancel := context.WithTimeout(ctx, linkUpTimeout)
	defer cancel()
	pending := eps
	for {
		var down []string
		next := pending[:0:0]
		for _, ep := range pending {
			up, err := c.linkUp(ep)
			if err != nil {
				return err
			}
			if !up {
				down = append(down, ep.hostIf)
				next = append(next, ep)
			}
		}
		if len(next) == 0 {
			break
		}
		pending = next
		select {
		case <-ctx.Done():
			return fmt.Errorf("veths %s not up: %w", strings.Join(down, ", "), ctx.Err())
		case <-time.After(2 * time.Millisecond):
		}
	}
	// linkwatch marks a device up just before it attaches the queue, both
	// under the RTNL lock. Any request that takes that lock returns after
	// linkwatch let go of it, so setting lo up again is a barrier.
	if err := setLinkUp(c.nodeNS.nl, "lo"); err != nil {
		return fmt.Errorf("wait for linkwatch: %w", err)
	}
	return nil
}

// linkUp tells whether both sides of an endpoint's veth are operationally up.
func (c *Cluster) linkUp(ep *endpoint) (bool, error) {
	host, err := c.nodeNS.nl.LinkByIndex(ep.hostIndex)
	if err != nil {
		return false, fmt.Errorf("read %s: %w", ep.hostIf, err)
	}
	peer, err := ep.nl.LinkByIndex(ep.ifIndex)
	if err != nil {
		return false, fmt.Errorf("read %s of %s: %w", endpointInterface, ep.name, err)
	}
	return host.Attrs().OperState == netlink.OperUp && peer.Attrs().OperState == netlink.OperUp, nil
}
