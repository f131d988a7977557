package testenv

import (
	"net"
	"net/netip"
	"sync"
	"testing"
)

// ListenTCP opens a TCP listener on the pod's address and port, inside its
// namespace; the socket stays there whichever thread later uses it.
func (p *Pod) ListenTCP(tb testing.TB, port uint16) net.Listener {
	tb.Helper()
	var ln net.Listener
	err := InNetNS(NetNSPath(p.NetNS), func() (err error) {
		ln, err = net.Listen("tcp", netip.AddrPortFrom(p.IP, port).String())
		return err
	})
	if err != nil {
		tb.Fatalf("listen tcp %s:%d in %s: %v", p.IP, port, p.NetNS, err)
	}
	return ln
}

// ListenUDP opens a UDP socket on the pod's address and port, inside its
// namespace.
func (p *Pod) ListenUDP(tb testing.TB, port uint16) net.PacketConn {
	tb.Helper()
	var pc net.PacketConn
	err := InNetNS(NetNSPath(p.NetNS), func() (err error) {
		pc, err = net.ListenPacket("udp", netip.AddrPortFrom(p.IP, port).String())
		return err
	})
	if err != nil {
		tb.Fatalf("listen udp %s:%d in %s: %v", p.IP, port, p.NetNS, err)
	}
	return pc
}

// ServeTCP answers every connection to the pod's port with "ok", until the
// test ends.
func (p *Pod) ServeTCP(tb testing.TB, port uint16) {
	tb.Helper()
	ln := p.ListenTCP(tb, port)
	var wg sync.WaitGroup
	wg.Go(func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			conn.Write([]byte("ok"))
			conn.Close()
		}
	})
	tb.Cleanup(func() { ln.Close(); wg.Wait() })
}

// ServeUDP echoes datagrams on the pod's port, until the test ends.
func (p *Pod) ServeUDP(tb testing.TB, port uint16) {
	tb.Helper()
	p.EchoUDP(tb, port, nil)
}

// EchoUDP echoes datagrams on the pod's port until the test ends, telling
// seen (when given) the source of each.
func (p *Pod) EchoUDP(tb testing.TB, port uint16, seen func(from netip.Addr)) {
	tb.Helper()
	pc := p.ListenUDP(tb, port)
	var wg sync.WaitGroup
	wg.Go(func() {
		buf := make([]byte, 64)
		for {
			n, from, err := pc.ReadFrom(buf)
			if err != nil {
				return
			}
			if seen != nil {
				seen(from.(*net.UDPAddr).AddrPort().Addr().Unmap())
			}
			pc.WriteTo(buf[:n], from)
		}
	})
	tb.Cleanup(func() { pc.Close(); wg.Wait() })
}
