package testpacket

import (
	"encoding/binary"
	"net/netip"
)

// IP protocol numbers the enforcer distinguishes.
const (
	ICMP uint8 = 1
	TCP  uint8 = 6
	UDP  uint8 = 17
	SCTP uint8 = 132
)

// Flow is the 5-tuple of a crafted packet.
type Flow struct {
	Src, Dst         netip.Addr
	Protocol         uint8
	SrcPort, DstPort uint16
}

// Reply is the flow of the packets that answer f.
func (f Flow) Reply() Flow {
	return Flow{Src: f.Dst, Dst: f.Src, Protocol: f.Protocol, SrcPort: f.DstPort, DstPort: f.SrcPort}
}

// IPv4 builds an Ethernet frame carrying an IPv4 packet of flow f. TCP, UDP
// and SCTP packets get a full transport header (a SYN for TCP) so that the
// frame is what a socket would send; other protocols get 8 bytes of payload.
// The addresses must be IPv4.
func IPv4(f Flow) []byte {
	var l4 []byte
	switch f.Protocol {
	case TCP:
		l4 = make([]byte, 20)
		l4[12] = 5 << 4 // data offset
		l4[13] = 0x02   // SYN
		binary.BigEndian.PutUint16(l4[14:], 64240)
	case UDP:
		l4 = make([]byte, 8)
		binary.BigEndian.PutUint16(l4[4:], 8)
	case SCTP:
		l4 = make([]byte, 12)
	default:
		l4 = make([]byte, 8)
	}
	if f.Protocol == TCP || f.Protocol == UDP || f.Protocol == SCTP {
		binary.BigEndian.PutUint16(l4[0:], f.SrcPort)
		binary.BigEndian.PutUint16(l4[2:], f.DstPort)
	}

	ip := make([]byte, 20)
	ip[0] = 0x45
	binary.BigEndian.PutUint16(ip[2:], uint16(len(ip)+len(l4)))
	ip[8] = 64
	ip[9] = f.Protocol
	src, dst := f.Src.As4(), f.Dst.As4()
	copy(ip[12:], src[:])
	copy(ip[16:], dst[:])
	binary.BigEndian.PutUint16(ip[10:], checksum(ip))

	frame := make([]byte, 14, 14+len(ip)+len(l4))
	copy(frame[0:6], []byte{0x02, 0, 0, 0, 0, 0x02})
	copy(frame[6:12], []byte{0x02, 0, 0, 0, 0, 0x01})
	binary.BigEndian.PutUint16(frame[12:], 0x0800)
	frame = append(frame, ip...)
	return append(frame, l4...)
}

// Fragment turns an IPv4 frame into a non-first fragment: the kernel would
// find no transport header in it.
func Fragment(frame []byte) []byte {
	out := append([]byte(nil), frame...)
	binary.BigEndian.PutUint16(out[14+6:], 185) // offset 185*8 bytes
	out[14+10], out[14+11] = 0, 0
	binary.BigEndian.PutUint16(out[14+10:], checksum(out[14:34]))
	return out
}

// ARP builds a minimal ARP request frame, a frame that is not IPv4.
func ARP() []byte {
	frame := make([]byte, 14+28)
	copy(frame[0:6], []byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff})
	copy(frame[6:12], []byte{0x02, 0, 0, 0, 0, 0x01})
	binary.BigEndian.PutUint16(frame[12:], 0x0806)
	return frame
}

func checksum(header []byte) uint16 {
	var sum uint32
	for i := 0; i+1 < len(header); i += 2 {
		sum += uint32(binary.BigEndian.Uint16(header[i:]))
	}
	for sum > 0xffff {
		sum = sum&0xffff + sum>>16
	}
	return ^uint16(sum)
}
