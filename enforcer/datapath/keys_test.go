package datapath

import (
	"encoding/binary"
	"net/netip"
	"reflect"
	"testing"

	"github.com/netpolcheck/netpolcheck/enforcer/bpf"
	"github.com/netpolcheck/netpolcheck/enforcer/compile"
)

func TestNetworkOrder(t *testing.T) {
	a := netip.MustParseAddr("192.168.0.2")
	var b [4]byte
	binary.NativeEndian.PutUint32(b[:], networkAddr(a))
	if b != [4]byte{192, 168, 0, 2} {
		t.Fatalf("networkAddr bytes = %v, want [192 168 0 2]", b)
	}
	if got := hostAddr(networkAddr(a)); got != a {
		t.Fatalf("hostAddr(networkAddr(%v)) = %v", a, got)
	}
	var p [2]byte
	binary.NativeEndian.PutUint16(p[:], networkPort(0x1f90))
	if p != [2]byte{0x1f, 0x90} {
		t.Fatalf("networkPort bytes = %v, want [0x1f 0x90]", p)
	}
	if got := hostPort(networkPort(8080)); got != 8080 {
		t.Fatalf("hostPort(networkPort(8080)) = %d", got)
	}
}

func TestEncode(t *testing.T) {
	tables := &compile.Tables{
		Endpoints: []compile.Endpoint{{Pod: "x/b", IP: netip.MustParseAddr("192.168.0.2"), Ifindex: 7, Identity: 1, Ingress: 1, Egress: 0}},
		Peers:     []compile.Peer{{RuleSet: 1, Prefix: netip.MustParsePrefix("10.0.0.0/8"), Class: 2}},
		Ports: []compile.PortPrefix{
			{Class: 1, Protocol: compile.AnyProtocol},
			{Class: 2, Protocol: compile.UDP},
			{Class: 2, Protocol: compile.TCP, Port: 80, Bits: 16},
			{Class: 2, Protocol: compile.SCTP, Port: 1024, Bits: 6},
		},
	}
	got, err := encode(tables, 5)
	if err != nil {
		t.Fatalf("encode: %v", err)
	}
	b := networkAddr(netip.MustParseAddr("192.168.0.2"))
	want := &entries{
		endpointKeys: []bpf.PolicyEndpointKey{{Generation: 5, Addr: b}},
		endpoints:    []bpf.PolicyEndpointValue{{Identity: 1, Ingress: 1, Egress: 0}},
		deviceKeys:   []bpf.PolicyDeviceKey{{Generation: 5, Ifindex: 7}},
		devices:      []bpf.PolicyDeviceValue{{Addr: b, Identity: 1}},
		peerKeys:     []bpf.PolicyPeerKey{{Prefixlen: 72, Generation: 5, Ruleset: 1, Addr: networkAddr(netip.MustParseAddr("10.0.0.0"))}},
		peers:        []bpf.PolicyPeerValue{{Class: 2}},
		portKeys: []bpf.PolicyPortKey{
			{Prefixlen: 64, Generation: 5, Class: 1},
			{Prefixlen: 80, Generation: 5, Class: 2, Protocol: 17},
			{Prefixlen: 96, Generation: 5, Class: 2, Protocol: 6, Port: networkPort(80)},
			{Prefixlen: 86, Generation: 5, Class: 2, Protocol: 132, Port: networkPort(1024)},
		},
		ports: []bpf.PolicyPortValue{{Allowed: 1}, {Allowed: 1}, {Allowed: 1}, {Allowed: 1}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("encode =\n%+v\nwant\n%+v", got, want)
	}
}

func TestEncodeErrors(t *testing.T) {
	tests := []struct {
		name   string
		tables compile.Tables
		want   string
	}{
		{"no ifindex", compile.Tables{Endpoints: []compile.Endpoint{{Pod: "x/a", IP: netip.MustParseAddr("10.0.0.1"), Identity: 1}}},
			"endpoint x/a: ifindex 0 out of range"},
		{"identity zero", compile.Tables{Endpoints: []compile.Endpoint{{Pod: "x/a", IP: netip.MustParseAddr("10.0.0.1"), Ifindex: 3}}},
			"endpoint x/a: identity 0 is reserved"},
		{"IPv6 prefix", compile.Tables{Peers: []compile.Peer{{RuleSet: 1, Prefix: netip.MustParsePrefix("fd00::/8"), Class: 1}}},
			"rule set 1: prefix fd00::/8 is not IPv4"},
		{"any protocol with a port", compile.Tables{Ports: []compile.PortPrefix{{Class: 1, Port: 80, Bits: 16}}},
			"class 1: a rule for every protocol cannot name port 80/16"},
		{"class zero", compile.Tables{Ports: []compile.PortPrefix{{Protocol: compile.TCP}}},
			"port prefix {Class:0 Protocol:6 Port:0 Bits:0 Deny:false Rule:0}: class must not be 0"},
		{"two endpoints on one address", compile.Tables{Endpoints: []compile.Endpoint{
			{Pod: "x/a", IP: netip.MustParseAddr("10.0.0.1"), Ifindex: 3, Identity: 1},
			{Pod: "x/b", IP: netip.MustParseAddr("10.0.0.2"), Ifindex: 4, Identity: 2},
			{Pod: "x/c", IP: netip.MustParseAddr("10.0.0.1"), Ifindex: 5, Identity: 3}}},
			"endpoint x/c: address 10.0.0.1 also belongs to endpoint x/a"},
		{"two endpoints behind one device", compile.Tables{Endpoints: []compile.Endpoint{
			{Pod: "x/a", IP: netip.MustParseAddr("10.0.0.1"), Ifindex: 3, Identity: 1},
			{Pod: "x/b", IP: netip.MustParseAddr("10.0.0.2"), Ifindex: 3, Identity: 2}}},
			"endpoint x/b: ifindex 3 also belongs to endpoint x/a"},
		{"one prefix twice, once unmasked", compile.Tables{Peers: []compile.Peer{
			{RuleSet: 1, Prefix: netip.MustParsePrefix("10.0.0.0/8"), Class: 1},
			{RuleSet: 2, Prefix: netip.MustParsePrefix("10.0.0.0/8"), Class: 1},
			{RuleSet: 1, Prefix: netip.MustParsePrefix("10.1.2.3/8"), Class: 2}}},
			"rule set 1: prefix 10.0.0.0/8 listed twice"},
		{"one port prefix twice", compile.Tables{Ports: []compile.PortPrefix{
			{Class: 1, Protocol: compile.TCP, Port: 80, Bits: 16},
			{Class: 1, Protocol: compile.UDP, Port: 80, Bits: 16},
			{Class: 1, Protocol: compile.TCP, Port: 80, Bits: 16}}},
			"class 1: protocol 6 port 80/16 listed twice"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := encode(&tt.tables, 1); err == nil || err.Error() != tt.want {
				t.Fatalf("encode error = %v, want %q", err, tt.want)
			}
		})
	}
}

func TestLinkPinNames(t *testing.T) {
	tests := []struct {
		name   string
		hook   hook
		isHook bool
		legacy bool
	}{
		{"nf_prerouting", preRouting, true, false},
		{"nf_postrouting", postRouting, true, false},
		{"nf_forward", hook{}, false, false},
		{"12_tcx_ingress", hook{}, false, true},
		{"3_tcx_egress", hook{}, false, true},
		{"0_tcx_egress", hook{}, false, false},
		{"x_tcx_egress", hook{}, false, false},
		{"12_tc_ingress", hook{}, false, false},
		{"12", hook{}, false, false},
	}
	for _, tt := range tests {
		h, ok := hookNamed(tt.name)
		if h != tt.hook || ok != tt.isHook || isLegacyTCXPin(tt.name) != tt.legacy {
			t.Errorf("%q: hook %v %v, legacy %v; want %v %v, %v", tt.name, h, ok, isLegacyTCXPin(tt.name), tt.hook, tt.isHook, tt.legacy)
		}
	}
	p := pins{dir: "/sys/fs/bpf/netpolcheck/run1"}
	if got := p.link(preRouting); got != "/sys/fs/bpf/netpolcheck/run1/links/nf_prerouting" {
		t.Fatalf("link pin path = %q", got)
	}
}
