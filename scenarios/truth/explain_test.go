package truth

import (
	"reflect"
	"testing"

	"github.com/netpolcheck/netpolcheck/scenarios"
	networkingv1 "k8s.io/api/networking/v1"
)

func TestExplainRuleRefs(t *testing.T) {
	egressType := networkingv1.PolicyTypeEgress
	tests := []struct {
		name              string
		world             []worldTweak
		from, to          string
		port              int32
		proto             scenarios.Protocol
		want              Explanation
		wantEgress, wantI *RuleRef
	}{
		{
			name: "nothing isolates",
			from: "x/a", to: "y/b", port: 80, proto: tcp,
			want: Explanation{Allowed: true, Egress: Side{Applies: true, Allowed: true}, Ingress: Side{Applies: true, Allowed: true}},
		},
		{
			name:  "isolated with no rule",
			world: []worldTweak{withPolicies(makePolicy("y", "deny-all"), makePolicy("y", "allow-80", withIngress(from(peers(podPeer(all())), port("TCP", 80)))))},
			from:  "x/a", to: "y/b", port: 80, proto: tcp,
			want: Explanation{
				Egress:  Side{Applies: true, Allowed: true},
				Ingress: Side{Applies: true, Isolated: true, IsolatedBy: []string{"y/deny-all", "y/allow-80"}},
			},
		},
		{
			name: "the first matching rule, peer and port are named",
			world: []worldTweak{withPolicies(
				makePolicy("y", "first", selecting(labels("app", "a"))),
				makePolicy("y", "second",
					withIngress(
						from(peers(ipPeer("203.0.113.0/24")), port("TCP", 80)),
						from(peers(podPeer(all()), nsPeer(labels("ns", "x")), ipPeer("192.168.0.0/24")), port("UDP", 53), port("TCP", 81), tcpDefault(80)),
						from(nil),
					)),
			)},
			from: "x/a", to: "y/b", port: 80, proto: tcp,
			want: Explanation{
				Allowed: true,
				Egress:  Side{Applies: true, Allowed: true},
				Ingress: Side{Applies: true, Isolated: true, IsolatedBy: []string{"y/second"}, Allowed: true,
					AllowedBy: &RuleRef{Policy: "y/second", Direction: "ingress", Rule: 1, Peer: 1, Port: 2}},
			},
		},
		{
			name:  "a rule without peers or ports gives -1",
			world: []worldTweak{withPolicies(makePolicy("y", "open", withIngress(from(peers(podPeer(labels("app", "z")))), from(nil))))},
			from:  "ext", to: "y/a", port: 53, proto: udp,
			want: Explanation{
				Allowed: true,
				Egress:  Side{Allowed: true},
				Ingress: Side{Applies: true, Isolated: true, IsolatedBy: []string{"y/open"}, Allowed: true,
					AllowedBy: &RuleRef{Policy: "y/open", Direction: "ingress", Rule: 1, Peer: -1, Port: -1}},
			},
		},
		{
			name: "the first policy in World order that allows is named",
			world: []worldTweak{withPolicies(
				makePolicy("x", "a-to-dns", withTypes(egressType), withEgress(to(nil, port("UDP", 53)))),
				makePolicy("x", "b-to-all", withTypes(egressType), withEgress(to(peers(ipPeer("0.0.0.0/0"))))),
				makePolicy("x", "c-to-ext", withTypes(egressType), withEgress(to(peers(ipPeer("203.0.113.10/32")), named(protocol("UDP"), "dns"), port("UDP", 53)))),
			)},
			from: "x/a", to: "ext", port: 53, proto: udp,
			want: Explanation{
				Allowed: true,
				Egress: Side{Applies: true, Isolated: true, IsolatedBy: []string{"x/a-to-dns", "x/b-to-all", "x/c-to-ext"}, Allowed: true,
					AllowedBy: &RuleRef{Policy: "x/a-to-dns", Direction: "egress", Rule: 0, Peer: -1, Port: 0}},
				Ingress: Side{Allowed: true},
			},
		},
		{
			name: "egress named port skips to the next port entry for an external host",
			world: []worldTweak{withPolicies(
				makePolicy("x", "c-to-ext", withTypes(egressType), withEgress(to(peers(ipPeer("203.0.113.10/32")), named(protocol("UDP"), "dns"), port("UDP", 53)))),
			)},
			from: "x/a", to: "ext", port: 53, proto: udp,
			want: Explanation{
				Allowed: true,
				Egress: Side{Applies: true, Isolated: true, IsolatedBy: []string{"x/c-to-ext"}, Allowed: true,
					AllowedBy: &RuleRef{Policy: "x/c-to-ext", Direction: "egress", Rule: 0, Peer: 0, Port: 1}},
				Ingress: Side{Allowed: true},
			},
		},
		{
			name:  "loopback is computed like any cell",
			world: []worldTweak{withPolicies(makePolicy("x", "deny-all"))},
			from:  "x/a", to: "x/a", port: 81, proto: tcp,
			want: Explanation{
				Loopback: true,
				Egress:   Side{Applies: true, Allowed: true},
				Ingress:  Side{Applies: true, Isolated: true, IsolatedBy: []string{"x/deny-all"}},
			},
		},
		{
			name:  "both sides blocked",
			world: []worldTweak{withPolicies(makePolicy("x", "deny-both", withTypes(networkingv1.PolicyTypeIngress, egressType)))},
			from:  "x/a", to: "x/b", port: 80, proto: "",
			want: Explanation{
				Egress:  Side{Applies: true, Isolated: true, IsolatedBy: []string{"x/deny-both"}},
				Ingress: Side{Applies: true, Isolated: true, IsolatedBy: []string{"x/deny-both"}},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Explain(makeWorld(tt.world...), tt.from, tt.to, tt.port, tt.proto)
			if err != nil {
				t.Fatalf("Explain: %v", err)
			}
			got.from, got.to = "", ""
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Explain =\n%#v\nwant\n%#v", got, tt.want)
			}
		})
	}
}

func TestExplainString(t *testing.T) {
	tests := []struct {
		name     string
		world    []worldTweak
		from, to string
		port     int32
		proto    scenarios.Protocol
		want     string
	}{
		{
			name:  "blocked by ingress isolation",
			world: []worldTweak{withPolicies(makePolicy("y", "deny-all"), makePolicy("y", "allow-80", withIngress(from(peers(podPeer(all())), port("TCP", 80)))))},
			from:  "x/a", to: "y/b", port: 80, proto: tcp,
			want: "blocked: egress from x/a allowed (not isolated); ingress to y/b isolated by y/deny-all, y/allow-80, no rule matches",
		},
		{
			name:  "allowed by a rule, from an external host",
			world: []worldTweak{withPolicies(makePolicy("y", "allow-ext", withIngress(from(peers(ipPeer("203.0.113.0/24")), port("TCP", 81), port("TCP", 80)))))},
			from:  "ext", to: "y/a", port: 80, proto: tcp,
			want: "allowed: egress from ext unrestricted (external host); ingress to y/a isolated by y/allow-ext, allowed by y/allow-ext ingress rule 0, peer 0, port 1",
		},
		{
			name:  "egress rule without peers or ports, to an external host",
			world: []worldTweak{withPolicies(makePolicy("x", "egress-all", withTypes(networkingv1.PolicyTypeEgress), withEgress(to(nil))))},
			from:  "x/b", to: "ext", port: 53, proto: udp,
			want: "allowed: egress from x/b isolated by x/egress-all, allowed by x/egress-all egress rule 0, any peer, any port; ingress to ext unrestricted (external host)",
		},
		{
			name: "loopback",
			from: "y/a", to: "y/a", port: 9000, proto: sctp,
			want: "allowed (loopback): egress from y/a allowed (not isolated); ingress to y/a allowed (not isolated)",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, err := Explain(makeWorld(tt.world...), tt.from, tt.to, tt.port, tt.proto)
			if err != nil {
				t.Fatalf("Explain: %v", err)
			}
			if got := e.String(); got != tt.want {
				t.Errorf("String() =\n%s\nwant\n%s", got, tt.want)
			}
		})
	}
}

func TestExplainErrors(t *testing.T) {
	tests := []struct {
		name     string
		from, to string
		port     int32
		proto    scenarios.Protocol
		want     string
	}{
		{"unknown source", "x/zz", "y/b", 80, tcp, `unknown source "x/zz"`},
		{"unknown destination", "x/a", "nowhere", 80, tcp, `unknown destination "nowhere"`},
		{"between external hosts", "ext", "ext", 80, tcp, `no cell between external hosts "ext" and "ext"`},
		{"port not served", "x/a", "y/b", 82, tcp, "y/b does not serve 82/TCP"},
		{"protocol not served", "x/a", "ext", 80, udp, "ext does not serve 80/UDP"},
	}
	w := makeWorld()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Explain(w, tt.from, tt.to, tt.port, tt.proto)
			if err == nil || err.Error() != tt.want {
				t.Errorf("Explain error = %v, want %q", err, tt.want)
			}
		})
	}
}

func TestRuleRefString(t *testing.T) {
	tests := []struct {
		ref  RuleRef
		want string
	}{
		{RuleRef{Policy: "y/p", Direction: "ingress", Rule: 2, Peer: 1, Port: 0}, "y/p ingress rule 2, peer 1, port 0"},
		{RuleRef{Policy: "x/q", Direction: "egress", Rule: 0, Peer: -1, Port: -1}, "x/q egress rule 0, any peer, any port"},
	}
	for _, tt := range tests {
		if got := tt.ref.String(); got != tt.want {
			t.Errorf("String() = %q, want %q", got, tt.want)
		}
	}
}
