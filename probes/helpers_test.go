package probes

import (
	"context"
	"net"
	"testing"
)

// serveLoopback serves identity on a kernel-picked port per protocol and
// returns the ports, in the order of protocols.
func serveLoopback(t testing.TB, identity string, protocols ...string) []int32 {
	t.Helper()
	specs := make([]PortSpec, len(protocols))
	for i, p := range protocols {
		specs[i] = PortSpec{Port: 0, Protocol: p}
	}
	s, err := Serve(context.Background(), identity, specs)
	if err != nil {
		t.Fatalf("Serve: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	ports := make([]int32, len(protocols))
	for i, p := range s.Ports() {
		ports[i] = p.Port
	}
	return ports
}

// closedPort returns a loopback port that was just free for both TCP and UDP:
// the kernel picked it, and the sockets are closed again.
func closedPort(t testing.TB) int32 {
	t.Helper()
	for range 20 {
		l, err := net.Listen("tcp4", "127.0.0.1:0")
		if err != nil {
			t.Fatalf("listen: %v", err)
		}
		port := l.Addr().(*net.TCPAddr).Port
		_ = l.Close()
		c, err := net.ListenPacket("udp4", l.Addr().String())
		if err != nil {
			continue
		}
		_ = c.Close()
		return int32(port)
	}
	t.Fatal("found no port free for both TCP and UDP")
	return 0
}
