package probes

import (
	"reflect"
	"testing"
)

func TestParsePorts(t *testing.T) {
	tests := []struct {
		in      string
		want    []PortSpec
		wantErr string
	}{
		{in: "80", want: []PortSpec{{80, TCP}}},
		{in: "80/TCP,81/UDP,82", want: []PortSpec{{80, TCP}, {81, UDP}, {82, TCP}}},
		{in: " 80/udp , 80/tcp,132/Sctp", want: []PortSpec{{80, UDP}, {80, TCP}, {132, SCTP}}},
		{in: "65535/UDP,1", want: []PortSpec{{65535, UDP}, {1, TCP}}},
		{in: "", wantErr: "no ports given"},
		{in: "  ", wantErr: "no ports given"},
		{in: "80,", wantErr: `port "": port number must be 1-65535, not ""`},
		{in: "80,http", wantErr: `port "http": port number must be 1-65535, not "http"`},
		{in: "0/TCP", wantErr: `port "0/TCP": port number must be 1-65535, not "0"`},
		{in: "65536", wantErr: `port "65536": port number must be 1-65535, not "65536"`},
		{in: "-1", wantErr: `port "-1": port number must be 1-65535, not "-1"`},
		{in: "80/ICMP", wantErr: `port "80/ICMP": protocol must be TCP, UDP or SCTP, not "ICMP"`},
		{in: "80/", wantErr: `port "80/": protocol must be TCP, UDP or SCTP, not ""`},
		{in: "80/TCP,81,80/tcp", wantErr: `port "80/tcp": listed twice`},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParsePorts(tt.in)
			if tt.wantErr != "" {
				if err == nil || err.Error() != tt.wantErr {
					t.Fatalf("ParsePorts(%q) error = %v, want %q", tt.in, err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParsePorts(%q): %v", tt.in, err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("ParsePorts(%q) = %v, want %v", tt.in, got, tt.want)
			}
		})
	}
}

func TestPortSpecString(t *testing.T) {
	if got := (PortSpec{Port: 8080, Protocol: SCTP}).String(); got != "8080/SCTP" {
		t.Errorf("String() = %q, want %q", got, "8080/SCTP")
	}
}
