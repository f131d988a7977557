package kind

import (
	"context"
	"fmt"
	"sort"
	"strings"
)

// isolateNodes removes each node's default route. Nothing a test sends may
// leave the machine: with no default route, a pod's packet to an address that
// is neither a pod, a node nor one of our external hosts dies on its node
// instead of reaching the docker host and its uplink. Cluster traffic needs
// none: nodes share one docker network and services are translated on the
// node. The node images are offline, so nothing is pulled either.
//
// Processes in the node's own network namespace (hostNetwork pods such as the
// enforcer, which reaches the API server at its ClusterIP) still need a route
// to the service subnet: the kernel picks a route before kube-proxy's DNAT,
// and without one connect fails with "network is unreachable". The route is
// on-link on the node network, so an address no Service translates goes no
// further than an unanswered ARP on that bridge.
func isolateNodes(ctx context.Context, c *Cluster) error {
	for _, n := range c.nodes {
		if err := dropDefaultRoute(ctx, n); err != nil {
			return err
		}
		if err := n.node.CommandContext(ctx, "ip", "-4", "route", "replace", c.opts.ServiceSubnet, "dev", nodeInterface).Run(); err != nil {
			return fmt.Errorf("route services on %s: %w", n.node, err)
		}
	}
	return nil
}

// nodeInterface is a kind node's interface on its docker network.
const nodeInterface = "eth0"

// dropDefaultRoute deletes a node's default route if it has one.
func dropDefaultRoute(ctx context.Context, n podNetworkNode) error {
	var out strings.Builder
	if err := n.node.CommandContext(ctx, "ip", "-4", "route", "show", "default").SetStdout(&out).Run(); err != nil {
		return fmt.Errorf("routes of %s: %w", n.node, err)
	}
	if strings.TrimSpace(out.String()) == "" {
		return nil
	}
	if err := n.node.CommandContext(ctx, "ip", "-4", "route", "del", "default").Run(); err != nil {
		return fmt.Errorf("drop default route of %s: %w", n.node, err)
	}
	return nil
}

// sortNodes orders nodes by name, so that Nodes and the routes are stable.
func sortNodes(nodes []podNetworkNode) {
	sort.Slice(nodes, func(i, j int) bool { return nodes[i].node.String() < nodes[j].node.String() })
}
