package testenv

import (
	"net"
	"net/netip"
	"sync"
	"testing"
)

// ServeTCP accepts connections on the pod's address and port, inside its
// namespace, and answers each with "ok", until the test ends.
func (p *Pod) ServeTCP(tb testing.TB, port uint16) {
	tb.Helper()
	var ln net.Listener
	err := InNetNS(NetNSPath(p.NetNS), func() (err error) {
		ln, err = net.Listen("tcp", netip.AddrPortFrom(p.IP, port).String())
		return err
	})
	if err != nil {
		tb.Fatalf("listen tcp in %s: %v", p.NetNS, err)
	}
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

// ServeUDP echoes datagrams on the pod's address and port, inside its
// namespace, until the test ends.
func (p *Pod) ServeUDP(tb testing.TB, port uint16) {
	tb.Helper()
	var pc net.PacketConn
	err := InNetNS(NetNSPath(p.NetNS), func() (err error) {
		pc, err = net.ListenPacket("udp", netip.AddrPortFrom(p.IP, port).String())
		return err
	})
	if err != nil {
		tb.Fatalf("listen udp in %s: %v", p.NetNS, err)
	}
	var wg sync.WaitGroup
	wg.Go(func() {
		buf := make([]byte, 64)
		for {
			n, from, err := pc.ReadFrom(buf)
			if err != nil {
				return
			}
			pc.WriteTo(buf[:n], from)
		}
	})
	tb.Cleanup(func() { pc.Close(); wg.Wait() })
}
