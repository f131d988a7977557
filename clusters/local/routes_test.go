package local

import (
	"net"
	"slices"
	"testing"
)

func TestGatewayRoutes(t *testing.T) {
	_, cidr, _ := net.ParseCIDR("192.168.0.0/16")
	ips := func(s ...string) []net.IP {
		var out []net.IP
		for _, a := range s {
			out = append(out, net.ParseIP(a))
		}
		return out
	}
	pods := ips("192.168.1.1", "192.168.1.2", "10.9.0.5", "10.9.0.6", "10.9.1.200")
	externals := ips("203.0.113.10", "192.168.200.1")
	tests := []struct {
		name     string
		self     string
		external bool
		want     []string
	}{
		{"pod in CIDR", "192.168.1.1", false, []string{"10.9.0.0/24", "10.9.1.0/24", "192.168.0.0/16", "192.168.200.1/32", "203.0.113.10/32"}},
		{"pod outside CIDR", "10.9.0.5", false, []string{"10.9.0.0/24", "10.9.1.0/24", "192.168.0.0/16", "192.168.200.1/32", "203.0.113.10/32"}},
		{"external host routes to pods only", "203.0.113.10", true, []string{"10.9.0.0/24", "10.9.1.0/24", "192.168.0.0/16"}},
	}
	for _, tt := range tests {
		got := gatewayRoutes(cidr, net.ParseIP(tt.self), tt.external, pods, externals)
		if !slices.Equal(got, tt.want) {
			t.Errorf("%s: got %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestRouteDiff(t *testing.T) {
	tests := []struct {
		have, want, add, del []string
	}{
		{have: nil, want: []string{"a", "b"}, add: []string{"a", "b"}},
		{have: []string{"a", "b"}, want: []string{"a"}, del: []string{"b"}},
		{have: []string{"a", "c"}, want: []string{"a", "b"}, add: []string{"b"}, del: []string{"c"}},
		{have: []string{"a"}, want: []string{"a"}},
	}
	for _, tt := range tests {
		add, del := routeDiff(tt.have, tt.want)
		if !slices.Equal(add, tt.add) || !slices.Equal(del, tt.del) {
			t.Errorf("routeDiff(%v, %v) = %v, %v; want %v, %v", tt.have, tt.want, add, del, tt.add, tt.del)
		}
	}
}
