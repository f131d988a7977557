package generate

import (
	"slices"
	"strings"
	"testing"
)

func TestCaseNameAndTags(t *testing.T) {
	tests := []struct {
		c        combo
		name     string
		wantTags string
	}{
		{
			c:    combo{DirectionEgress, TargetPodSelector, PeerNamespaceSelector, NamespaceOther, PortNamed, ProtocolUDP, StepUpdate},
			name: "gen-egress-podsel-ns-other-named-udp-update",
			wantTags: "direction=egress target=pod-selector peer=namespace-selector namespace=other port=named protocol=udp step=update " +
				"egress generated named-port namespace-selector udp update",
		},
		{
			c:    combo{DirectionBoth, TargetMatchExpressions, PeerIPBlockExcept, NamespaceAll, PortSeveral, ProtocolSCTP, StepRelabelPod},
			name: "gen-both-expr-except-allns-multi-sctp-podlabel",
			wantTags: "direction=both target=match-expressions peer=ip-block-except namespace=all port=several protocol=sctp step=relabel-pod " +
				"egress except generated ingress ip-block match-expressions multi-port named-port relabel sctp",
		},
		{
			c:    combo{DirectionIngress, TargetAll, PeerEmpty, NamespaceAll, PortNone, ProtocolTCP, StepDelete},
			name: "gen-ingress-all-anyone-allns-anyport-tcp-delete",
			wantTags: "direction=ingress target=all peer=empty namespace=all port=none protocol=tcp step=delete " +
				"allow-all delete generated ingress",
		},
		{
			c:    combo{DirectionIngress, TargetPodSelector, PeerNoRule, NamespaceSame, PortNone, ProtocolTCP, StepCreate},
			name: "gen-ingress-podsel-deny-same-anyport-tcp-create",
			wantTags: "direction=ingress target=pod-selector peer=no-rule namespace=same port=none protocol=tcp step=create " +
				"default-deny generated ingress",
		},
		{
			c:    combo{DirectionEgress, TargetAll, PeerTwoPeers, NamespaceRelabel, PortEndPort, ProtocolTCP, StepRelabelNamespace},
			name: "gen-egress-all-or-later-range-tcp-nslabel",
			wantTags: "direction=egress target=all peer=two-peers namespace=relabel port=end-port protocol=tcp step=relabel-namespace " +
				"egress end-port generated namespace-selector pod-selector relabel",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if r := invalidReason(tt.c); r != "" {
				t.Fatalf("the combo is invalid: %s", r)
			}
			if got := caseName(tt.c); got != tt.name {
				t.Errorf("caseName = %q, want %q", got, tt.name)
			}
			if got := strings.Join(tags(tt.c), " "); got != tt.wantTags {
				t.Errorf("tags =\n%s\nwant\n%s", got, tt.wantTags)
			}
		})
	}
}

// Every dimension value needs its own word, or two cases would share a name.
func TestShortNamesAreDistinct(t *testing.T) {
	for _, d := range Dimensions() {
		var words []string
		for _, v := range d.Values {
			w, ok := shortNames[d.Name][v]
			if !ok || w == "" || strings.Contains(w, "-") {
				t.Errorf("dimension %s value %s has short name %q: want one word", d.Name, v, w)
			}
			words = append(words, w)
		}
		slices.Sort(words)
		if len(slices.Compact(words)) != len(d.Values) {
			t.Errorf("dimension %s: short names %v repeat", d.Name, words)
		}
		if len(shortNames[d.Name]) != len(d.Values) {
			t.Errorf("dimension %s: %d short names for %d values", d.Name, len(shortNames[d.Name]), len(d.Values))
		}
	}
}

func TestDescription(t *testing.T) {
	tests := []struct {
		c    combo
		want string
	}{
		{
			combo{DirectionEgress, TargetPodSelector, PeerNamespaceSelector, NamespaceOther, PortNamed, ProtocolUDP, StepUpdate},
			"Egress from x's pods labelled pod=a admits only the pods of namespace y on the named port serve-80-udp. " +
				"Then an update moves the ports to the named port serve-81-udp.",
		},
		{
			combo{DirectionBoth, TargetMatchExpressions, PeerIPBlockExcept, NamespaceAll, PortEndPort, ProtocolSCTP, StepRelabelPod},
			"Ingress to and egress from x's pods whose label pod is in (a, b) admit only addresses in the /16 of the pod range (ext-in included) " +
				"but not the /24 of namespace y on ports 81-90/SCTP. Then x/c is labelled pod=a and joins the targets.",
		},
		{
			combo{DirectionIngress, TargetAll, PeerPodAndNamespace, NamespaceRelabel, PortSeveral, ProtocolTCP, StepRelabelNamespace},
			"Ingress to every pod of x admits only pods labelled pod=b of namespaces labelled selected=true (none yet) " +
				"on 80/TCP and the named port serve-81-tcp. Then namespace y is labelled selected=true.",
		},
		{
			combo{DirectionBoth, TargetMatchExpressions, PeerNoRule, NamespaceSame, PortNone, ProtocolTCP, StepUpdate},
			"Ingress to and egress from x's pods whose label pod is in (a, b) are denied. Then an update admits everyone on 81/TCP.",
		},
		{
			combo{DirectionIngress, TargetAll, PeerTwoPeers, NamespaceSame, PortNone, ProtocolTCP, StepRelabelPod},
			"Ingress to every pod of x admits only pods labelled pod=c of namespace x, or pods labelled pod=b of namespace x " +
				"on every port and protocol. Then x/a is labelled pod=b and joins the peer.",
		},
		{
			combo{DirectionEgress, TargetAll, PeerIPBlock, NamespaceOther, PortNumeric, ProtocolTCP, StepDelete},
			"Egress from every pod of x admits only addresses in the /24 of y/a on 80/TCP. Then the policy is deleted.",
		},
		{
			combo{DirectionIngress, TargetAll, PeerEmpty, NamespaceAll, PortEndPort, ProtocolUDP, StepUpdate},
			"Ingress to every pod of x admits everyone on ports 81-90/UDP. Then an update moves the ports to 70-80/UDP.",
		},
	}
	for _, tt := range tests {
		t.Run(caseName(tt.c), func(t *testing.T) {
			if r := invalidReason(tt.c); r != "" {
				t.Fatalf("the combo is invalid: %s", r)
			}
			if got := description(tt.c); got != tt.want {
				t.Errorf("description =\n%s\nwant\n%s", got, tt.want)
			}
		})
	}
}
