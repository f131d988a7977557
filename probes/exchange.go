package probes

import (
	"context"
	"errors"
	"io"
	"net"
	"net/netip"
	"os"
	"time"

	"golang.org/x/sys/unix"
)

const ipprotoSCTP = unix.IPPROTO_SCTP

// exchangeTCP connects and swaps the request line for the identity. With an IP
// literal, net.Dialer creates the socket on the calling goroutine.
func exchangeTCP(ctx context.Context, to netip.AddrPort, from string) (string, error) {
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", to.String())
	if err != nil {
		return "", inPhase("connect", err)
	}
	defer conn.Close()
	// Closing on timeout or cancel unblocks the write and read below.
	stop := context.AfterFunc(ctx, func() { _ = conn.Close() })
	defer stop()
	return exchangeStream(conn, from)
}

// exchangeRawStream does what exchangeTCP does over a raw stream socket of the
// given protocol, SCTP in practice.
func exchangeRawStream(ctx context.Context, protocol int, to netip.AddrPort, from string) (string, error) {
	f, err := startConnect(protocol, to)
	if err != nil {
		var syscallErr *os.SyscallError
		if errors.As(err, &syscallErr) && syscallErr.Syscall == "socket" {
			return "", inPhase("socket", syscallErr.Err)
		}
		return "", inPhase("connect", err)
	}
	defer f.Close()
	stop := context.AfterFunc(ctx, func() { _ = f.Close() })
	defer stop()
	if err := waitConnected(f); err != nil {
		return "", inPhase("connect", err)
	}
	return exchangeStream(f, from)
}

func exchangeStream(conn streamConn, from string) (string, error) {
	if _, err := conn.Write(streamRequest(from)); err != nil {
		return "", inPhase("send", err)
	}
	identity, err := readLine(conn)
	if errors.Is(err, io.EOF) {
		err = errNoAnswer
	}
	return identity, inPhase("reply", err)
}

// resendInterval is how often a UDP request is sent again while no reply has
// come, so that one lost datagram does not read as a block.
const resendInterval = 250 * time.Millisecond

// exchangeUDP sends the request with a fresh nonce until a reply carrying it
// comes back. The socket is connected, so an ICMP port unreachable surfaces as
// ECONNREFUSED on the next read or write.
func exchangeUDP(ctx context.Context, to netip.AddrPort, from string) (string, error) {
	var d net.Dialer
	conn, err := d.DialContext(ctx, "udp", to.String())
	if err != nil {
		return "", inPhase("connect", err)
	}
	defer conn.Close()
	stop := context.AfterFunc(ctx, func() { _ = conn.Close() })
	defer stop()
	nonce := newNonce()
	request := datagramRequest(from, nonce)
	buf := make([]byte, maxDatagram)
	for ctx.Err() == nil {
		if _, err := conn.Write(request); err != nil {
			if ctx.Err() != nil {
				// The timeout closed the socket between two sends.
				return "", inPhase("reply", ctx.Err())
			}
			return "", inPhase("send", err)
		}
		_ = conn.SetReadDeadline(time.Now().Add(resendInterval))
		for {
			n, err := conn.Read(buf)
			if errors.Is(err, os.ErrDeadlineExceeded) {
				break
			}
			if err != nil {
				return "", inPhase("reply", err)
			}
			if identity, ok := datagramIdentity(buf[:n], nonce); ok {
				return identity, nil
			}
		}
	}
	return "", inPhase("reply", ctx.Err())
}
