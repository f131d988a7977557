package scenarios

import (
	"testing"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

func TestCheckPolicySpec(t *testing.T) {
	port := func(p intstr.IntOrString, end int32, proto string) networkingv1.NetworkPolicyPort {
		out := networkingv1.NetworkPolicyPort{Port: &p}
		if end != 0 {
			out.EndPort = &end
		}
		if proto != "-" {
			v := corev1.Protocol(proto)
			out.Protocol = &v
		}
		return out
	}
	ipBlock := func(cidr string, except ...string) networkingv1.NetworkPolicyPeer {
		return networkingv1.NetworkPolicyPeer{IPBlock: &networkingv1.IPBlock{CIDR: cidr, Except: except}}
	}
	tests := []struct {
		name string
		spec networkingv1.NetworkPolicySpec
		want string
	}{
		{"empty spec is valid", networkingv1.NetworkPolicySpec{}, ""},
		{"valid ports, ranges and blocks", networkingv1.NetworkPolicySpec{
			Ingress: []networkingv1.NetworkPolicyIngressRule{{
				Ports: []networkingv1.NetworkPolicyPort{port(intstr.FromInt32(80), 90, "TCP"), port(intstr.FromString("dns"), 0, "UDP"), port(intstr.FromInt32(1), 65535, "-")},
				From:  []networkingv1.NetworkPolicyPeer{ipBlock("10.0.0.1/8", "10.1.0.0/16"), ipBlock("fd00::/8", "fd00::/64"), ipBlock("0.0.0.0/0", "0.0.0.0/1")},
			}},
			PolicyTypes: []networkingv1.PolicyType{"Ingress", "Egress"},
		}, ""},
		{"ipv6 except in an ipv4 block", networkingv1.NetworkPolicySpec{Egress: []networkingv1.NetworkPolicyEgressRule{{To: []networkingv1.NetworkPolicyPeer{ipBlock("0.0.0.0/0", "::/64")}}}},
			`spec.egress[0].to[0].ipBlock.except[0]: except "::/64" is not strictly inside cidr "0.0.0.0/0"`},
		{"empty peer", networkingv1.NetworkPolicySpec{Egress: []networkingv1.NetworkPolicyEgressRule{{To: []networkingv1.NetworkPolicyPeer{{}}}}},
			"spec.egress[0].to[0]: a peer must set podSelector, namespaceSelector or ipBlock"},
		{"empty protocol", networkingv1.NetworkPolicySpec{Ingress: []networkingv1.NetworkPolicyIngressRule{{Ports: []networkingv1.NetworkPolicyPort{port(intstr.FromInt32(80), 0, "")}}}},
			`spec.ingress[0].ports[0].protocol: unknown protocol "": must be TCP, UDP or SCTP`},
		{"numeric string port", networkingv1.NetworkPolicySpec{Ingress: []networkingv1.NetworkPolicyIngressRule{{Ports: []networkingv1.NetworkPolicyPort{port(intstr.FromString("80"), 0, "-")}}}},
			`spec.ingress[0].ports[0].port: invalid port name "80": must contain at least one letter (a-z)`},
		{"endPort out of range", networkingv1.NetworkPolicySpec{Ingress: []networkingv1.NetworkPolicyIngressRule{{Ports: []networkingv1.NetworkPolicyPort{port(intstr.FromInt32(80), 65536, "-")}}}},
			"spec.ingress[0].ports[0].endPort: endPort 65536 is out of range 1-65535"},
		{"duplicate policy type", networkingv1.NetworkPolicySpec{PolicyTypes: []networkingv1.PolicyType{"Egress", "Egress"}},
			`spec.policyTypes[1]: policy type "Egress" is listed twice`},
		{"bad selector key and values", networkingv1.NetworkPolicySpec{PodSelector: metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{
			{Key: "-a", Operator: "In", Values: []string{"ok", "not ok"}}}}},
			"spec.podSelector.matchExpressions[0].key: invalid label key \"-a\": name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character\n" +
				"spec.podSelector.matchExpressions[0].values[1]: invalid label value \"not ok\": a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := checkPolicySpec(&tc.spec, "spec").Error(); got != tc.want {
				t.Errorf("errors\n got: %s\nwant: %s", got, tc.want)
			}
		})
	}
}

func TestParseCIDR(t *testing.T) {
	tests := []struct{ in, want, err string }{
		{in: "10.0.0.0/8", want: "10.0.0.0/8"},
		{in: "10.1.2.3/8", want: "10.1.2.3/8"},
		{in: "::/0", want: "::/0"},
		{in: "", err: "required"},
		{in: "10.0.0.0", err: `invalid CIDR "10.0.0.0": no prefix length`},
		{in: "10.0.0.0/", err: `invalid CIDR "10.0.0.0/": bad prefix length ""`},
		{in: "10.0.0.0/08", err: `invalid CIDR "10.0.0.0/08": bad prefix length "08"`},
		{in: "10.0.0.0/-1", err: `invalid CIDR "10.0.0.0/-1": bad prefix length "-1"`},
		{in: "fe80::1%eth0/64", err: `invalid CIDR "fe80::1%eth0/64": bad address "fe80::1%eth0"`},
		{in: "fd00::/129", err: `invalid CIDR "fd00::/129": bad prefix length "129"`},
	}
	for _, tc := range tests {
		p, msg := parseCIDR(tc.in)
		got := ""
		if msg == "" {
			got = p.String()
		}
		if got != tc.want || msg != tc.err {
			t.Errorf("parseCIDR(%q) = %q, %q; want %q, %q", tc.in, got, msg, tc.want, tc.err)
		}
	}
}
