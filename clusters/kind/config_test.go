package kind

import (
	"testing"

	"sigs.k8s.io/kind/pkg/apis/config/v1alpha4"
	"sigs.k8s.io/yaml"
)

func TestClusterConfigRendering(t *testing.T) {
	tests := []struct {
		name string
		opts []Option
		want string
	}{
		{"one node", nil, `apiVersion: kind.x-k8s.io/v1alpha4
containerdConfigPatches:
- |
  [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
    SystemdCgroup = false
kind: Cluster
kubeadmConfigPatches:
- |
  kind: KubeletConfiguration
  cgroupDriver: cgroupfs
networking:
  disableDefaultCNI: true
  ipFamily: ipv4
  kubeProxyMode: iptables
  podSubnet: 192.168.0.0/16
  serviceSubnet: 10.96.0.0/16
nodes:
- image: kindest/node:offline-v1.34.4
  role: control-plane
`},
		{"three nodes on another image, kind's cgroup driver", []Option{WithNodes(3), WithNodeImage("kindest/node:v1.34.0"), WithCgroupDriver(CgroupDriverSystemd)}, `apiVersion: kind.x-k8s.io/v1alpha4
kind: Cluster
networking:
  disableDefaultCNI: true
  ipFamily: ipv4
  kubeProxyMode: iptables
  podSubnet: 192.168.0.0/16
  serviceSubnet: 10.96.0.0/16
nodes:
- image: kindest/node:v1.34.0
  role: control-plane
- image: kindest/node:v1.34.0
  role: worker
- image: kindest/node:v1.34.0
  role: worker
`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := clusterConfig(newOptions(tt.opts...))
			if err != nil {
				t.Fatal(err)
			}
			got, err := yaml.Marshal(cfg)
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tt.want {
				t.Fatalf("config:\n%s\nwant:\n%s", got, tt.want)
			}
			if cfg.Nodes[0].Role != v1alpha4.ControlPlaneRole {
				t.Fatalf("first node is %s, want the control plane", cfg.Nodes[0].Role)
			}
		})
	}
}

func TestClusterConfigErrors(t *testing.T) {
	tests := []struct {
		name string
		opts []Option
		want string
	}{
		{"no nodes", []Option{WithNodes(0)}, "a cluster needs at least 1 node, not 0"},
		{"pods in the service subnet", []Option{WithPodSubnet("10.96.0.0/12")}, "service subnet 10.96.0.0/16 overlaps pod subnet 10.96.0.0/12"},
		{"pods on the node network", []Option{WithPodSubnet("100.64.0.0/10")}, "node network 100.64.0.0/24 overlaps pod subnet 100.64.0.0/10"},
		{"node network in the pods", []Option{WithNetwork("n", "192.168.7.0/24")}, "node network 192.168.7.0/24 overlaps pod subnet 192.168.0.0/16"},
		{"not a CIDR", []Option{WithPodSubnet("192.168.0.0")}, `pod subnet "192.168.0.0" is not an IPv4 CIDR`},
		{"IPv6", []Option{WithPodSubnet("fd00::/64")}, `pod subnet "fd00::/64" is not an IPv4 CIDR`},
		{"no such cgroup driver", []Option{WithCgroupDriver("cgroupv2")}, `cgroup driver "cgroupv2": not one of cgroupfs, systemd`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := clusterConfig(newOptions(tt.opts...))
			if err == nil || err.Error() != tt.want {
				t.Fatalf("err = %v, want %q", err, tt.want)
			}
		})
	}
}
