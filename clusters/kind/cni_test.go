package kind

import (
	"context"
	"fmt"
	"strings"
	"testing"
)

func TestCNIConfigRendering(t *testing.T) {
	got, err := cniConfig("192.168.2.0/24")
	if err != nil {
		t.Fatal(err)
	}
	want := `{
  "cniVersion": "0.4.0",
  "name": "netpolcheck-ptp",
  "plugins": [
    {
      "ipMasq": false,
      "ipam": {
        "dataDir": "/run/cni-ipam-state",
        "ranges": [
          [
            {
              "subnet": "192.168.2.0/24"
            }
          ]
        ],
        "routes": [
          {
            "dst": "0.0.0.0/0"
          }
        ],
        "type": "host-local"
      },
      "mtu": 1500,
      "type": "ptp"
    },
    {
      "capabilities": {
        "portMappings": true
      },
      "type": "portmap"
    }
  ]
}
`
	if string(got) != want {
		t.Fatalf("CNI config:\n%s\nwant:\n%s", got, want)
	}
}

func TestPodRoutes(t *testing.T) {
	all := []podNetworkNode{
		{node: newFakeNode("c-control-plane"), ip: "100.64.0.2", podCIDR: "192.168.0.0/24"},
		{node: newFakeNode("c-worker"), ip: "100.64.0.3", podCIDR: "192.168.1.0/24"},
		{node: newFakeNode("c-worker2"), ip: "100.64.0.4", podCIDR: "192.168.2.0/24"},
	}
	tests := []struct {
		self string
		want [][2]string
	}{
		{"c-control-plane", [][2]string{{"192.168.1.0/24", "100.64.0.3"}, {"192.168.2.0/24", "100.64.0.4"}}},
		{"c-worker", [][2]string{{"192.168.0.0/24", "100.64.0.2"}, {"192.168.2.0/24", "100.64.0.4"}}},
		{"c-worker2", [][2]string{{"192.168.0.0/24", "100.64.0.2"}, {"192.168.1.0/24", "100.64.0.3"}}},
	}
	for _, tt := range tests {
		got := podRoutes(tt.self, all)
		if fmt.Sprint(got) != fmt.Sprint(tt.want) {
			t.Errorf("routes of %s = %v, want %v", tt.self, got, tt.want)
		}
	}
	if got := podRoutes("solo", all[:0]); len(got) != 0 {
		t.Errorf("routes of a single node = %v, want none", got)
	}
}

func TestInstallPodNetwork(t *testing.T) {
	cp, w := newFakeNode("c-control-plane"), newFakeNode("c-worker")
	all := []podNetworkNode{
		{node: cp, ip: "100.64.0.2", podCIDR: "192.168.0.0/24"},
		{node: w, ip: "100.64.0.3", podCIDR: "192.168.1.0/24"},
	}
	if err := installPodNetwork(context.Background(), all); err != nil {
		t.Fatal(err)
	}
	conf, _ := cniConfig("192.168.0.0/24")
	wantCP := []string{
		"mkdir -p /etc/cni/net.d",
		"cp /dev/stdin /etc/cni/net.d/10-netpolcheck-ptp.conflist <<< " + string(conf),
		"ip route replace 192.168.1.0/24 via 100.64.0.3",
	}
	if got := cp.commands(); strings.Join(got, "\n") != strings.Join(wantCP, "\n") {
		t.Fatalf("control plane ran\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(wantCP, "\n"))
	}
	if got := w.commands(); got[len(got)-1] != "ip route replace 192.168.0.0/24 via 100.64.0.2" {
		t.Fatalf("worker's last command = %q", got[len(got)-1])
	}
}

func TestIsolateNodes(t *testing.T) {
	withRoute, without := newFakeNode("a"), newFakeNode("b")
	withRoute.stdout["ip -4 route show default"] = "default via 100.64.0.1 dev eth0\n"
	c := &Cluster{nodes: []podNetworkNode{{node: withRoute}, {node: without}}, opts: Options{ServiceSubnet: "10.96.0.0/16"}}
	if err := isolateNodes(context.Background(), c); err != nil {
		t.Fatal(err)
	}
	if got, want := strings.Join(withRoute.commands(), "|"), "ip -4 route show default|ip -4 route del default|ip -4 route replace 10.96.0.0/16 dev eth0"; got != want {
		t.Errorf("node with a default route ran %q, want %q", got, want)
	}
	if got, want := strings.Join(without.commands(), "|"), "ip -4 route show default|ip -4 route replace 10.96.0.0/16 dev eth0"; got != want {
		t.Errorf("node without one ran %q, want %q", got, want)
	}
}
