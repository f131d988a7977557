package testpacket

import (
	"bytes"
	"net/netip"
	"testing"
)

func TestIPv4(t *testing.T) {
	a, b := netip.MustParseAddr("192.168.1.1"), netip.MustParseAddr("192.168.1.2")
	tests := []struct {
		name string
		flow Flow
		want []byte // the bytes from the IP protocol field to the end of the ports
	}{
		{"tcp", Flow{a, b, TCP, 40000, 80}, []byte{6, 0, 0, 192, 168, 1, 1, 192, 168, 1, 2, 0x9c, 0x40, 0, 80}},
		{"udp", Flow{a, b, UDP, 53, 5353}, []byte{17, 0, 0, 192, 168, 1, 1, 192, 168, 1, 2, 0, 53, 0x14, 0xe9}},
		{"sctp", Flow{b, a, SCTP, 1, 2}, []byte{132, 0, 0, 192, 168, 1, 2, 192, 168, 1, 1, 0, 1, 0, 2}},
		{"icmp", Flow{a, b, ICMP, 7, 9}, []byte{1, 0, 0, 192, 168, 1, 1, 192, 168, 1, 2, 0, 0, 0, 0}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			frame := IPv4(tt.flow)
			got := append([]byte(nil), frame[23:38]...)
			// The checksum sits between protocol and addresses; it is verified below.
			got[1], got[2] = 0, 0
			if !bytes.Equal(got, tt.want) {
				t.Fatalf("header bytes = %v, want %v", got, tt.want)
			}
			if sum := checksum(frame[14:34]); sum != 0 {
				t.Fatalf("IPv4 header checksum does not verify: residue %#x", sum)
			}
		})
	}
}

func TestReply(t *testing.T) {
	a, b := netip.MustParseAddr("10.0.0.1"), netip.MustParseAddr("10.0.0.2")
	got := Flow{a, b, UDP, 1000, 53}.Reply()
	want := Flow{b, a, UDP, 53, 1000}
	if got != want {
		t.Fatalf("Reply() = %+v, want %+v", got, want)
	}
}

func TestFragment(t *testing.T) {
	frame := Fragment(IPv4(Flow{netip.MustParseAddr("10.0.0.1"), netip.MustParseAddr("10.0.0.2"), TCP, 1, 2}))
	if frame[20] != 0 || frame[21] != 185 {
		t.Fatalf("fragment offset bytes = %d %d, want 0 185", frame[20], frame[21])
	}
	if sum := checksum(frame[14:34]); sum != 0 {
		t.Fatalf("checksum residue %#x after fragmenting", sum)
	}
}

func TestARP(t *testing.T) {
	frame := ARP()
	if len(frame) != 42 || frame[12] != 0x08 || frame[13] != 0x06 {
		t.Fatalf("ARP frame = % x", frame)
	}
}
