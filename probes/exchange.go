package probes

import (
	"context"
	"errors"
	"io"
	"net/netip"
	"os"
	"time"

	"golang.org/x/sys/unix"
)

const ipprotoSCTP = unix.IPPROTO_SCTP

// Each protocol has a start, which makes the socket on the calling thread
// and never waits, and a finish, which waits on the runtime's poller from any
// thread. A socket stays in the network namespace it was made in, so only the
// start has to run inside the source's namespace.

// startStream opens a TCP or SCTP socket and starts connecting it. The phase
// tells a socket that could not be made (EPROTONOSUPPORT for a kernel without
// SCTP) from a connect the kernel refused at once (no route).
func startStream(protocol int, to netip.AddrPort) (*os.File, error) {
	fd, err := connectStream(protocol, to)
	if err != nil {
		return nil, err
	}
	return os.NewFile(uintptr(fd), "stream "+to.String()), nil
}

// connectStream is startStream's socket before the runtime's poller has it.
func connectStream(protocol int, to netip.AddrPort) (int, error) {
	fd, err := connectSocket(protocol, to)
	if err != nil {
		var syscallErr *os.SyscallError
		if errors.As(err, &syscallErr) && syscallErr.Syscall == "socket" {
			return -1, inPhase("socket", syscallErr.Err)
		}
		return -1, inPhase("connect", err)
	}
	return fd, nil
}

// finishStream waits for the connection startStream began and swaps the
// request line for the identity. It leaves closing f to the caller, but
// closes it early when ctx ends, which unblocks whatever is waiting.
func finishStream(ctx context.Context, f *os.File, from string) (string, error) {
	stop := context.AfterFunc(ctx, func() { _ = f.Close() })
	defer stop()
	if err := waitConnected(f); err != nil {
		return "", inPhase("connect", err)
	}
	if err := refuseSelfConnect(f); err != nil {
		return "", inPhase("connect", err)
	}
	return exchangeStream(f, from)
}

// refuseSelfConnect turns a TCP simultaneous open with itself into the
// refusal it stands for. Dialling a free port of a local address can pick
// that same port as the source; nothing listens there, or the kernel could
// not have picked it, so the probe would otherwise read its own request back
// as an answer. net.Dialer makes the same check.
func refuseSelfConnect(f *os.File) error {
	raw, err := f.SyscallConn()
	if err != nil {
		return err
	}
	var self bool
	err = raw.Control(func(fd uintptr) {
		local, errLocal := unix.Getsockname(int(fd))
		peer, errPeer := unix.Getpeername(int(fd))
		self = errLocal == nil && errPeer == nil && sameSockaddr(local, peer)
	})
	if err != nil {
		return err
	}
	if self {
		return os.NewSyscallError("connect", unix.ECONNREFUSED)
	}
	return nil
}

func sameSockaddr(a, b unix.Sockaddr) bool {
	switch a := a.(type) {
	case *unix.SockaddrInet4:
		b, ok := b.(*unix.SockaddrInet4)
		return ok && a.Port == b.Port && a.Addr == b.Addr
	case *unix.SockaddrInet6:
		b, ok := b.(*unix.SockaddrInet6)
		return ok && a.Port == b.Port && a.Addr == b.Addr
	default:
		return false
	}
}

// exchangeRawStream starts and finishes a stream probe in one go, on the
// calling thread's namespace.
func exchangeRawStream(ctx context.Context, protocol int, to netip.AddrPort, from string) (string, error) {
	f, err := startStream(protocol, to)
	if err != nil {
		return "", err
	}
	defer f.Close()
	return finishStream(ctx, f, from)
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

// connectDatagram opens a UDP socket connected to the target. Connecting
// sends nothing, but it fixes the source address by the namespace's routes,
// fails at once without a route, and makes the kernel report an ICMP port
// unreachable as ECONNREFUSED on the next read or write. The socket is
// non-blocking, for *os.File and the runtime's poller, as streams are.
func connectDatagram(to netip.AddrPort) (int, error) {
	family, sa := sockaddr(to)
	fd, err := unix.Socket(family, unix.SOCK_DGRAM|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, unix.IPPROTO_UDP)
	if err != nil {
		return -1, inPhase("socket", err)
	}
	// As net.Dialer does for datagram sockets, so that the two behave alike.
	if err := unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_BROADCAST, 1); err != nil {
		_ = unix.Close(fd)
		return -1, inPhase("socket", os.NewSyscallError("setsockopt", err))
	}
	if err := unix.Connect(fd, sa); err != nil {
		_ = unix.Close(fd)
		return -1, inPhase("connect", os.NewSyscallError("connect", err))
	}
	return fd, nil
}

// datagramConn is what a UDP probe needs of its connected socket.
type datagramConn interface {
	io.ReadWriteCloser
	SetReadDeadline(time.Time) error
}

// resendInterval is how often a UDP request is sent again while no reply has
// come, so that one lost datagram does not read as a block.
const resendInterval = 250 * time.Millisecond

// finishDatagram sends the request with a fresh nonce until a reply carrying
// it comes back. Like finishStream it closes conn early when ctx ends.
func finishDatagram(ctx context.Context, conn datagramConn, from string) (string, error) {
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
