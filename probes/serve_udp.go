package probes

import (
	"context"
	"errors"
	"net"
	"strconv"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// maxDatagram bounds requests and replies; both are a few dozen bytes.
const maxDatagram = 1024

// listenUDP binds with IP_PKTINFO on, so that each reply can leave from the
// address its request was sent to. A server bound to 0.0.0.0 would otherwise
// answer from the routing table's preferred source, which a client that dialled
// another of the host's addresses (127.0.0.5, a second pod IP) discards.
func listenUDP(ctx context.Context, port int32) (*net.UDPConn, error) {
	lc := net.ListenConfig{Control: func(_, _ string, c syscall.RawConn) error {
		var optErr error
		if err := c.Control(func(fd uintptr) {
			optErr = unix.SetsockoptInt(int(fd), unix.IPPROTO_IP, unix.IP_PKTINFO, 1)
		}); err != nil {
			return err
		}
		return optErr
	}}
	pc, err := lc.ListenPacket(ctx, "udp4", net.JoinHostPort("0.0.0.0", strconv.Itoa(int(port))))
	if err != nil {
		return nil, err
	}
	return pc.(*net.UDPConn), nil
}

func (s *Server) answerDatagrams(c *net.UDPConn) {
	buf := make([]byte, maxDatagram)
	oob := make([]byte, unix.CmsgSpace(unix.SizeofInet4Pktinfo))
	pause := minAcceptPause
	for {
		n, oobn, _, from, err := c.ReadMsgUDP(buf, oob)
		if err != nil {
			if s.isClosed() || errors.Is(err, net.ErrClosed) {
				return
			}
			time.Sleep(pause)
			pause = min(2*pause, maxAcceptPause)
			continue
		}
		pause = minAcceptPause
		var reply []byte
		if nonce, ok := datagramNonce(buf[:n]); ok {
			reply = datagramReply(s.identity, nonce)
		} else if answer := s.dns.Load(); answer != nil {
			reply, _ = answerDNS(buf[:n], *answer)
		}
		if reply == nil {
			continue
		}
		// A reply that cannot be sent is a lost datagram; the client resends.
		_, _, _ = c.WriteMsgUDP(reply, replySource(oob[:oobn]), from)
	}
}

// replySource turns the IP_PKTINFO of a request into the control message that
// sends the reply from the request's destination address; nil when the
// request carried none.
func replySource(oob []byte) []byte {
	msgs, err := unix.ParseSocketControlMessage(oob)
	if err != nil {
		return nil
	}
	for _, m := range msgs {
		if m.Header.Level != unix.IPPROTO_IP || m.Header.Type != unix.IP_PKTINFO || len(m.Data) < unix.SizeofInet4Pktinfo {
			continue
		}
		// struct in_pktinfo: int ifindex; in_addr spec_dst; in_addr addr (the header's destination).
		var info unix.Inet4Pktinfo
		copy(info.Spec_dst[:], m.Data[8:12])
		return unix.PktInfo4(&info)
	}
	return nil
}
