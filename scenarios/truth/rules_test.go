package truth

import (
	"testing"

	"github.com/netpolcheck/netpolcheck/scenarios"
	networkingv1 "k8s.io/api/networking/v1"
)

func TestIPBlock(t *testing.T) {
	tests := []struct {
		name   string
		block  networkingv1.IPBlock
		addr   string
		wantOK bool
		want   bool
	}{
		{"inside", networkingv1.IPBlock{CIDR: "10.0.0.0/8"}, "10.1.2.3", true, true},
		{"outside", networkingv1.IPBlock{CIDR: "10.0.0.0/8"}, "11.1.2.3", true, false},
		{"excepted", networkingv1.IPBlock{CIDR: "10.0.0.0/8", Except: []string{"10.1.0.0/16"}}, "10.1.2.3", true, false},
		{"next to the except", networkingv1.IPBlock{CIDR: "10.0.0.0/8", Except: []string{"10.1.0.0/16"}}, "10.2.0.1", true, true},
		{"host bits are masked", networkingv1.IPBlock{CIDR: "10.9.9.9/8", Except: []string{"10.1.9.9/16"}}, "10.1.0.1", true, false},
		{"everything", networkingv1.IPBlock{CIDR: "0.0.0.0/0"}, "203.0.113.9", true, true},
		{"a /32", networkingv1.IPBlock{CIDR: "192.168.0.2/32"}, "192.168.0.2", true, true},
		{"v4-mapped address", networkingv1.IPBlock{CIDR: "192.168.0.0/24"}, "::ffff:192.168.0.2", true, true},
		{"empty address", networkingv1.IPBlock{CIDR: "0.0.0.0/0"}, "", true, false},
		{"malformed address", networkingv1.IPBlock{CIDR: "0.0.0.0/0"}, "192.168.0", true, false},
		{"bad cidr", networkingv1.IPBlock{CIDR: "10.0.0.0"}, "10.0.0.1", false, false},
		{"bad prefix length", networkingv1.IPBlock{CIDR: "10.0.0.0/40"}, "10.0.0.1", false, false},
		{"bad except", networkingv1.IPBlock{CIDR: "10.0.0.0/8", Except: []string{"x"}}, "10.0.0.1", false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, ok := parseIPBlock(&tt.block)
			if ok != tt.wantOK {
				t.Fatalf("parseIPBlock ok = %v, want %v", ok, tt.wantOK)
			}
			if got := ok && r.contains(parseAddr(tt.addr)); got != tt.want {
				t.Errorf("contains(%q) = %v, want %v", tt.addr, got, tt.want)
			}
		})
	}
}

func TestProtocolOrTCP(t *testing.T) {
	for in, want := range map[string]string{"": "TCP", "TCP": "TCP", "UDP": "UDP", "SCTP": "SCTP"} {
		if got := protocolOrTCP(scenarios.Protocol(in)); string(got) != want {
			t.Errorf("protocolOrTCP(%q) = %q, want %q", in, got, want)
		}
	}
}
