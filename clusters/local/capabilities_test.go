package local

import (
	"reflect"
	"slices"
	"testing"

	"github.com/netpolcheck/netpolcheck/clusters"
	"github.com/netpolcheck/netpolcheck/probes"
)

func TestIntegrationCapabilities(t *testing.T) {
	needRoot(t)
	b := newTestBackend(t, Options{Targets: []probes.Target{probes.TargetService, probes.TargetPod}})
	sctp, reason := probes.SCTPAvailable()
	want := clusters.Capabilities{SCTP: sctp, SCTPReason: reason, ExternalHosts: true, ClusterNetworkPolicy: true, ClusterNetworkPolicyExperimental: true,
		AdminNetworkPolicy: true, AdminNetworkPolicyExperimental: true,
		Targets: []probes.Target{probes.TargetService, probes.TargetPod}}
	if got := b.Capabilities(); !reflect.DeepEqual(got, want) {
		t.Errorf("Capabilities = %+v, want %+v", got, want)
	}
	if got := b.Capabilities(); got.SCTP == (got.SCTPReason != "") {
		t.Errorf("SCTP %v with reason %q: a missing SCTP needs a reason, a present one none", got.SCTP, got.SCTPReason)
	}
	t.Logf("SCTP on this host: %v %s", sctp, reason)
	if b.Name() != "local" {
		t.Errorf("Name = %q", b.Name())
	}
}

func TestPortSpecs(t *testing.T) {
	tests := []struct {
		sctp bool
		want []probes.PortSpec
	}{
		{false, []probes.PortSpec{{Port: 80, Protocol: "TCP"}, {Port: 81, Protocol: "UDP"}}},
		{true, []probes.PortSpec{{Port: 80, Protocol: "TCP"}, {Port: 81, Protocol: "UDP"}, {Port: 82, Protocol: "SCTP"}}},
	}
	for _, tt := range tests {
		c := &Cluster{b: &Backend{caps: clusters.Capabilities{SCTP: tt.sctp}}}
		if got := c.portSpecs(testPorts); !slices.Equal(got, tt.want) {
			t.Errorf("SCTP %v: portSpecs = %v, want %v", tt.sctp, got, tt.want)
		}
	}
}
