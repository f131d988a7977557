package kind

import (
	"testing"
)

func TestCheckExternalAddress(t *testing.T) {
	c := &Cluster{opts: newOptions(), networkSubnet: DefaultNetworkSubnet}
	tests := []struct {
		ip      string
		wantErr string
	}{
		{"203.0.113.10", ""},
		{"172.18.0.2", ""},
		{"169.254.169.254", ""},
		{"10.0.0.1", ""},
		{"192.168.3.4", "192.168.3.4 is inside the pod subnet 192.168.0.0/16"},
		{"10.96.0.10", "10.96.0.10 is inside the service subnet 10.96.0.0/16"},
		{"100.64.0.9", "100.64.0.9 is inside the node network 100.64.0.0/24"},
		{"127.0.0.1", "127.0.0.1 cannot be a host's address"},
		{"224.0.0.1", "224.0.0.1 cannot be a host's address"},
		{"0.0.0.0", "0.0.0.0 cannot be a host's address"},
		{"255.255.255.255", "255.255.255.255 cannot be a host's address"},
		{"2001:db8::1", `"2001:db8::1" is not an IPv4 address`},
		{"example.com", `"example.com" is not an IPv4 address`},
	}
	for _, tt := range tests {
		_, err := c.checkExternalAddress(tt.ip)
		got := ""
		if err != nil {
			got = err.Error()
		}
		if got != tt.wantErr {
			t.Errorf("%s: err = %q, want %q", tt.ip, got, tt.wantErr)
		}
	}
}

func TestExternalContainerName(t *testing.T) {
	tests := []struct {
		cluster, host, want string
	}{
		{"np", "partner", "np-ext-partner-"},
		{"np", "a/b c", "np-ext-a_b_c-"},
	}
	for _, tt := range tests {
		got := externalContainerName(tt.cluster, tt.host)
		if len(got) != len(tt.want)+6 || got[:len(tt.want)] != tt.want {
			t.Errorf("name of %q = %q, want %q and 6 hex digits", tt.host, got, tt.want)
		}
	}
	if externalContainerName("np", "a/b") == externalContainerName("np", "a_b") {
		t.Errorf("hosts whose names sanitise alike share a container name")
	}
	if got, want := externalContainerName("np", "partner"), "np-ext-partner-7f3fa4"; got != want {
		t.Errorf("name = %q, want %q", got, want)
	}
}
