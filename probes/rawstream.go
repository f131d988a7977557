package probes

import (
	"fmt"
	"net/netip"
	"os"
	"syscall"

	"golang.org/x/sys/unix"
)

// The net package knows TCP, not SCTP, so SCTP goes through raw one-to-one
// (SOCK_STREAM) sockets. They are non-blocking and wrapped in *os.File, which
// puts them on the runtime's poller: deadlines, Close unblocking a waiter and
// goroutine-friendly reads all work as for net.Conn. The same code runs with
// IPPROTO_TCP in tests, on kernels that lack SCTP.

// openStream creates a non-blocking stream socket on the calling thread, hence
// in the network namespace of that thread.
func openStream(family, protocol int) (int, error) {
	fd, err := unix.Socket(family, unix.SOCK_STREAM|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, protocol)
	if err != nil {
		return -1, os.NewSyscallError("socket", err)
	}
	return fd, nil
}

func sockaddr(to netip.AddrPort) (family int, sa unix.Sockaddr) {
	if to.Addr().Is4() {
		return unix.AF_INET, &unix.SockaddrInet4{Port: int(to.Port()), Addr: to.Addr().As4()}
	}
	return unix.AF_INET6, &unix.SockaddrInet6{Port: int(to.Port()), Addr: to.Addr().As16()}
}

// connectSocket opens a socket and starts connecting it; waitConnected
// finishes. They are apart so that the caller can arrange to close the socket
// on timeout before it blocks.
func connectSocket(protocol int, to netip.AddrPort) (int, error) {
	family, sa := sockaddr(to)
	fd, err := openStream(family, protocol)
	if err != nil {
		return -1, err
	}
	if protocol == unix.IPPROTO_TCP {
		// A probe closes once it has its answer or gave up: a reset then
		// ends the connection in one packet, where a FIN takes four and
		// leaves the port in TIME_WAIT, which a run of a million probes
		// pays for in CPU and in ephemeral ports.
		if err := unix.SetsockoptLinger(fd, unix.SOL_SOCKET, unix.SO_LINGER, &unix.Linger{Onoff: 1, Linger: 0}); err != nil {
			_ = unix.Close(fd)
			return -1, os.NewSyscallError("setsockopt", err)
		}
	}
	if err := unix.Connect(fd, sa); err != nil && err != unix.EINPROGRESS {
		_ = unix.Close(fd)
		return -1, os.NewSyscallError("connect", err)
	}
	return fd, nil
}

// waitConnected waits until the connection started by connectSocket is made or
// has failed, as net.Dial does: writability, then SO_ERROR, then a peer name.
func waitConnected(f *os.File) error {
	raw, err := f.SyscallConn()
	if err != nil {
		return err
	}
	var connErr error
	err = raw.Write(func(fd uintptr) bool {
		soErr, err := unix.GetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_ERROR)
		if err != nil {
			connErr = os.NewSyscallError("getsockopt", err)
			return true
		}
		switch errno := syscall.Errno(soErr); errno {
		case 0:
		case unix.EINPROGRESS, unix.EALREADY, unix.EINTR:
			return false
		default:
			connErr = os.NewSyscallError("connect", errno)
			return true
		}
		if _, err := unix.Getpeername(int(fd)); err == unix.ENOTCONN {
			return false
		} else if err != nil {
			connErr = os.NewSyscallError("getpeername", err)
		}
		return true
	})
	if err != nil {
		return err
	}
	return connErr
}

// rawListener is a listening raw stream socket.
type rawListener struct {
	file *os.File
	raw  syscall.RawConn
	port int32
}

// listenStream binds and listens on 0.0.0.0:port on the calling thread.
func listenStream(protocol int, port int32) (*rawListener, error) {
	fd, err := openStream(unix.AF_INET, protocol)
	if err != nil {
		return nil, err
	}
	bound, err := listenOn(fd, port)
	if err != nil {
		_ = unix.Close(fd)
		return nil, err
	}
	file := os.NewFile(uintptr(fd), fmt.Sprintf("listener 0.0.0.0:%d", bound))
	raw, err := file.SyscallConn()
	if err != nil {
		_ = file.Close()
		return nil, err
	}
	return &rawListener{file: file, raw: raw, port: bound}, nil
}

// listenOn binds and listens, and returns the port bound (the kernel's pick for 0).
func listenOn(fd int, port int32) (int32, error) {
	// SO_REUSEADDR lets a restarted server bind while old connections linger
	// in TIME_WAIT, as net.Listen does for TCP.
	if err := unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_REUSEADDR, 1); err != nil {
		return 0, os.NewSyscallError("setsockopt", err)
	}
	if err := unix.Bind(fd, &unix.SockaddrInet4{Port: int(port)}); err != nil {
		return 0, os.NewSyscallError("bind", err)
	}
	if err := unix.Listen(fd, unix.SOMAXCONN); err != nil {
		return 0, os.NewSyscallError("listen", err)
	}
	sa, err := unix.Getsockname(fd)
	if err != nil {
		return 0, os.NewSyscallError("getsockname", err)
	}
	bound, ok := sa.(*unix.SockaddrInet4)
	if !ok {
		return 0, fmt.Errorf("listening socket has a %T address", sa)
	}
	return int32(bound.Port), nil
}

// Accept waits for the next connection; it fails once the listener is closed.
func (l *rawListener) Accept() (streamConn, error) {
	for {
		var nfd int
		var acceptErr error
		err := l.raw.Read(func(fd uintptr) bool {
			nfd, _, acceptErr = unix.Accept4(int(fd), unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC)
			return acceptErr != unix.EAGAIN
		})
		switch {
		case err != nil:
			return nil, err
		case acceptErr == unix.ECONNABORTED || acceptErr == unix.EINTR:
			// The peer gave up before we accepted; wait for the next one.
			continue
		case acceptErr != nil:
			return nil, os.NewSyscallError("accept", acceptErr)
		}
		return os.NewFile(uintptr(nfd), "accepted on "+l.file.Name()), nil
	}
}

// Close closes the listening socket, which wakes a waiting Accept.
func (l *rawListener) Close() error {
	return l.file.Close()
}
