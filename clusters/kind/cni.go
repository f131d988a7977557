package kind

import (
	"context"
	"encoding/json"
	"fmt"

	"sigs.k8s.io/kind/pkg/cluster/nodes"
	"sigs.k8s.io/kind/pkg/cluster/nodeutils"
)

// cniConfigPath is where kubelet's containerd finds the pod network config.
const cniConfigPath = "/etc/cni/net.d/10-netpolcheck-ptp.conflist"

// cniConfig renders the pod network of one node: ptp gives each pod a veth
// pair and a /32 route on the node, which is the topology the enforcer
// attaches to, and host-local hands out addresses from the node's podCIDR.
// There is no masquerading: policies must see pod addresses as they are.
func cniConfig(podCIDR string) ([]byte, error) {
	conf := map[string]any{
		"cniVersion": "0.4.0",
		"name":       "netpolcheck-ptp",
		"plugins": []any{
			map[string]any{
				"type":   "ptp",
				"ipMasq": false,
				"mtu":    1500,
				"ipam": map[string]any{
					"type":    "host-local",
					"dataDir": "/run/cni-ipam-state",
					"routes":  []any{map[string]string{"dst": "0.0.0.0/0"}},
					"ranges":  []any{[]any{map[string]string{"subnet": podCIDR}}},
				},
			},
			map[string]any{"type": "portmap", "capabilities": map[string]bool{"portMappings": true}},
		},
	}
	out, err := json.MarshalIndent(conf, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("render CNI config: %w", err)
	}
	return append(out, '\n'), nil
}

// podNetworkNode is what the pod network needs to know of one node.
type podNetworkNode struct {
	node    nodes.Node
	ip      string
	podCIDR string
}

// podRoutes lists, for one node, the route to every other node's pods:
// {destination CIDR, next hop}. Nodes share one docker network, so each
// other node is one hop away.
func podRoutes(self string, all []podNetworkNode) [][2]string {
	var routes [][2]string
	for _, n := range all {
		if n.node.String() != self {
			routes = append(routes, [2]string{n.podCIDR, n.ip})
		}
	}
	return routes
}

// installPodNetwork writes each node's CNI config and its routes to the
// other nodes' pods, through kind's node exec.
func installPodNetwork(ctx context.Context, all []podNetworkNode) error {
	for _, n := range all {
		if err := ctx.Err(); err != nil {
			return err
		}
		conf, err := cniConfig(n.podCIDR)
		if err != nil {
			return err
		}
		if err := nodeutils.WriteFile(n.node, cniConfigPath, string(conf)); err != nil {
			return fmt.Errorf("pod network on %s: %w", n.node, err)
		}
		for _, r := range podRoutes(n.node.String(), all) {
			if err := n.node.CommandContext(ctx, "ip", "route", "replace", r[0], "via", r[1]).Run(); err != nil {
				return fmt.Errorf("pod network on %s: route %s via %s: %w", n.node, r[0], r[1], err)
			}
		}
	}
	return nil
}
