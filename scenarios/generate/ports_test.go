package generate

import (
	"fmt"
	"strings"
	"testing"

	networkingv1 "k8s.io/api/networking/v1"
)

// render writes a ports list as "TCP:80-90 UDP:serve-80-udp"; "all" for nil.
func render(ports []networkingv1.NetworkPolicyPort) string {
	if ports == nil {
		return "all"
	}
	var out []string
	for _, p := range ports {
		s := string(*p.Protocol) + ":" + p.Port.String()
		if p.EndPort != nil {
			s += fmt.Sprintf("-%d", *p.EndPort)
		}
		out = append(out, s)
	}
	return strings.Join(out, " ")
}

func TestPorts(t *testing.T) {
	tests := []struct {
		form, protocol string
		first, updated string
	}{
		{PortNone, ProtocolTCP, "all", "TCP:81"},
		{PortNumeric, ProtocolUDP, "UDP:80", "UDP:81"},
		{PortNamed, ProtocolSCTP, "SCTP:serve-80-sctp", "SCTP:serve-81-sctp"},
		{PortEndPort, ProtocolTCP, "TCP:81-90", "TCP:70-80"},
		{PortSeveral, ProtocolUDP, "UDP:80 UDP:serve-81-udp", "UDP:80"},
	}
	for _, tt := range tests {
		t.Run(tt.form+"/"+tt.protocol, func(t *testing.T) {
			if got := render(firstPorts(tt.form, tt.protocol)); got != tt.first {
				t.Errorf("firstPorts = %s, want %s", got, tt.first)
			}
			if got := render(updatedPorts(tt.form, tt.protocol)); got != tt.updated {
				t.Errorf("updatedPorts = %s, want %s", got, tt.updated)
			}
		})
	}
}

func TestPodRelabel(t *testing.T) {
	tests := []struct {
		target, peer, namespace string
		pod, label              string
	}{
		{TargetPodSelector, PeerIPBlock, NamespaceOther, "x/c", "a"},
		{TargetMatchExpressions, PeerNoRule, NamespaceSame, "x/c", "a"},
		{TargetAll, PeerPodSelector, NamespaceSame, "x/a", "b"},
		{TargetAll, PeerPodAndNamespace, NamespaceOther, "y/a", "b"},
		{TargetAll, PeerTwoPeers, NamespaceAll, "y/a", "b"},
	}
	for _, tt := range tests {
		c := combo{DirectionIngress, tt.target, tt.peer, tt.namespace, PortNone, ProtocolTCP, StepRelabelPod}
		t.Run(caseName(c), func(t *testing.T) {
			if r := invalidReason(c); r != "" {
				t.Fatalf("the combo is invalid: %s", r)
			}
			pod, labels := podRelabel(c)
			if pod != tt.pod || len(labels) != 1 || labels["pod"] != tt.label {
				t.Errorf("podRelabel = %s %v, want %s pod=%s", pod, labels, tt.pod, tt.label)
			}
		})
	}
}
