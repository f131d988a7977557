package kind

import (
	"fmt"
	"net/netip"

	"sigs.k8s.io/kind/pkg/apis/config/v1alpha4"
)

// clusterConfig renders the kind configuration: one control plane and
// workers, no default CNI (kindnetd enforces NetworkPolicy itself since
// v0.24 and would hide the enforcer under test; our own minimal CNI goes in
// instead), and subnets that keep pods, services and nodes apart.
func clusterConfig(o Options) (*v1alpha4.Cluster, error) {
	if o.Nodes < 1 {
		return nil, fmt.Errorf("a cluster needs at least 1 node, not %d", o.Nodes)
	}
	if err := disjoint([][2]string{{"pod subnet", o.PodSubnet}, {"service subnet", o.ServiceSubnet}, {"node network", o.NetworkSubnet}}); err != nil {
		return nil, err
	}
	cfg := &v1alpha4.Cluster{
		TypeMeta: v1alpha4.TypeMeta{Kind: "Cluster", APIVersion: "kind.x-k8s.io/v1alpha4"},
		Networking: v1alpha4.Networking{
			IPFamily:          v1alpha4.IPv4Family,
			PodSubnet:         o.PodSubnet,
			ServiceSubnet:     o.ServiceSubnet,
			DisableDefaultCNI: true,
			KubeProxyMode:     v1alpha4.IPTablesProxyMode,
		},
	}
	switch o.CgroupDriver {
	case CgroupDriverSystemd:
	case CgroupDriverCgroupfs:
		// Both halves must agree, or the kubelet refuses to start pods.
		cfg.KubeadmConfigPatches = []string{"kind: KubeletConfiguration\ncgroupDriver: cgroupfs\n"}
		cfg.ContainerdConfigPatches = []string{containerdCgroupfs}
	default:
		return nil, fmt.Errorf("cgroup driver %q: not one of %s, %s", o.CgroupDriver, CgroupDriverCgroupfs, CgroupDriverSystemd)
	}
	cfg.Nodes = append(cfg.Nodes, v1alpha4.Node{Role: v1alpha4.ControlPlaneRole, Image: o.NodeImage})
	for i := 1; i < o.Nodes; i++ {
		cfg.Nodes = append(cfg.Nodes, v1alpha4.Node{Role: v1alpha4.WorkerRole, Image: o.NodeImage})
	}
	return cfg, nil
}

// containerdCgroupfs has runc make the containers' cgroups itself, as kind
// does for Kubernetes before 1.24 (its node image build's own patch). The
// offline node image runs containerd 1.6, whose configuration is version 2.
const containerdCgroupfs = `[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
  SystemdCgroup = false
`

// disjoint checks that no two of the named prefixes ({name, CIDR}) overlap.
func disjoint(named [][2]string) error {
	parsed := make([]netip.Prefix, 0, len(named))
	for _, n := range named {
		p, err := netip.ParsePrefix(n[1])
		if err != nil || !p.Addr().Is4() {
			return fmt.Errorf("%s %q is not an IPv4 CIDR", n[0], n[1])
		}
		for j, q := range parsed {
			if q.Overlaps(p) {
				return fmt.Errorf("%s %s overlaps %s %s", n[0], n[1], named[j][0], named[j][1])
			}
		}
		parsed = append(parsed, p)
	}
	return nil
}
