package datapath

import (
	"errors"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// The robustness tests and benchmarks send real traffic between pod
// namespaces, always to addresses of namespaces the test created.

// acceptCounter counts the connections a listener accepted, per source
// address, closing each at once: a server behind a cell that must stay
// blocked, whose count proves no connection got through.
type acceptCounter struct {
	mu     sync.Mutex
	counts map[netip.Addr]int
}

func (c *acceptCounter) from(addr netip.Addr) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.counts[addr]
}

// serveCounting accepts and closes connections to the pod's port, counting them.
func serveCounting(tb testing.TB, pod *testPod, port uint16) *acceptCounter {
	tb.Helper()
	ln := pod.ListenTCP(tb, port)
	c := &acceptCounter{counts: map[netip.Addr]int{}}
	var wg sync.WaitGroup
	wg.Go(func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			from := conn.RemoteAddr().(*net.TCPAddr).AddrPort().Addr().Unmap()
			conn.Close()
			c.mu.Lock()
			c.counts[from]++
			c.mu.Unlock()
		}
	})
	tb.Cleanup(func() { ln.Close(); wg.Wait() })
	return c
}

// serveCountingUDP echoes datagrams on the pod's port and counts them per
// source address.
func serveCountingUDP(tb testing.TB, pod *testPod, port uint16) *acceptCounter {
	tb.Helper()
	c := &acceptCounter{counts: map[netip.Addr]int{}}
	pod.EchoUDP(tb, port, func(from netip.Addr) {
		c.mu.Lock()
		c.counts[from]++
		c.mu.Unlock()
	})
	return c
}

// outcome is what one probe saw.
type outcome int

const (
	probeBlocked outcome = iota // the attempt timed out: the packets were dropped
	probeAllowed                // the connection was made, or refused by the peer's stack
)

// dialOnce makes one TCP connection attempt and closes what it opened. A
// refusal counts as allowed: the SYN reached the destination's stack.
// Errors other than a timeout or a refusal are returned, because they mean
// the probe could not run, never that the cell is blocked.
func dialOnce(to netip.AddrPort, timeout time.Duration) (outcome, error) {
	conn, err := net.DialTimeout("tcp", to.String(), timeout)
	if err == nil {
		conn.Close()
		return probeAllowed, nil
	}
	var netErr net.Error
	if errors.As(err, &netErr) && netErr.Timeout() {
		return probeBlocked, nil
	}
	if errors.Is(err, syscall.ECONNREFUSED) {
		return probeAllowed, nil
	}
	return probeBlocked, err
}

// tally counts probes and keeps the first failure, shared by goroutines.
type tally struct {
	probes atomic.Int64
	mu     sync.Mutex
	failed error
}

func (t *tally) fail(err error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.failed == nil {
		t.failed = err
	}
}

func (t *tally) err() error {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.failed
}
