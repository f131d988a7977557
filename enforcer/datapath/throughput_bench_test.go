package datapath

import (
	"fmt"
	"io"
	"net"
	"net/netip"
	"testing"
	"time"
)

// connectionBlocks is how many blocks BenchmarkConnections splits its
// connections into, alternating with and without the enforcer, so that
// both modes share whatever else the machine is doing.
const connectionBlocks = 100

// BenchmarkConnections opens real TCP connections from x/a to x/b across
// the test node (connect, accept, read to the server's close, close) with
// 10, 1,000 or 10,000 policies in force. The policies select other pods
// and namespaces, and a tenth select b with ipBlocks of their own, so the
// tables grow with the count while the probed pair stays allowed on
// 80/TCP. Blocks of connections alternate between the programs attached to
// both veths and detached; the ratio of the two rates is the metric.
//
//	go test -run '^$' -bench BenchmarkConnections -benchtime 10000x ./enforcer/datapath/
func BenchmarkConnections(b *testing.B) {
	requireKernel(b)
	podCIDR := netip.MustParsePrefix("192.168.83.0/24")
	node := newTestNode(b)
	pa := node.addPod(b, "a", netip.MustParseAddr("192.168.83.1"), podCIDR)
	pb := node.addPod(b, "b", netip.MustParseAddr("192.168.83.2"), podCIDR)
	served := serveCounting(b, pb, 80)
	world := benchWorld{pods: 1000, local: 110}

	for _, n := range []int{10, 1000, 10000} {
		b.Run(fmt.Sprintf("policies=%d", n), func(b *testing.B) {
			tables := compileOrFail(b, world.input(pa, pb, policyWorld(n)))
			d := openTest(b, WithNetNS(node.path()))
			if _, err := d.Apply(tables); err != nil {
				b.Fatalf("Apply: %v", err)
			}
			attach := func(on bool) {
				for _, p := range []*testPod{pa, pb} {
					err := d.Detach(p.HostIndex)
					if on {
						err = d.Attach(p.HostIndex)
					}
					if err != nil {
						b.Fatalf("attach %v: %v", on, err)
					}
				}
			}
			var elapsed [2]time.Duration // without, with
			var conns [2]int
			var denied uint64
			b.ResetTimer()
			for block := range connectionBlocks {
				on := block%2 == 0
				count := b.N / connectionBlocks
				if block < b.N%connectionBlocks {
					count++
				}
				b.StopTimer()
				attach(on)
				before, err := d.Counters()
				if err != nil {
					b.Fatalf("Counters: %v", err)
				}
				b.StartTimer()
				took := connectLoop(b, pa, pb, served, count)
				b.StopTimer()
				after, err := d.Counters()
				if err != nil {
					b.Fatalf("Counters: %v", err)
				}
				denied += after.IngressDenied + after.EgressDenied - before.IngressDenied - before.EgressDenied
				if on && after.EgressAllowed-before.EgressAllowed < uint64(count) {
					b.Fatalf("%d packets allowed by a's egress policy for %d connections: not enforcing",
						after.EgressAllowed-before.EgressAllowed, count)
				}
				mode := 0
				if on {
					mode = 1
				}
				elapsed[mode] += took
				conns[mode] += count
				b.StartTimer()
			}
			b.StopTimer()
			if denied != 0 {
				b.Fatalf("%d packets denied, want 0", denied)
			}
			without := float64(conns[0]) / elapsed[0].Seconds()
			with := float64(conns[1]) / elapsed[1].Seconds()
			b.ReportMetric(without, "conns/s-without")
			b.ReportMetric(with, "conns/s-with")
			b.ReportMetric(with/without, "ratio")
			b.ReportMetric(float64(len(tables.Peers)), "peers")
			b.ReportMetric(float64(len(tables.Endpoints)), "endpoints")
		})
	}
}

// connectLoop makes count connections from a to b's port 80, each read to
// the server's close, and returns the time they took.
func connectLoop(b *testing.B, from, to *testPod, served *acceptCounter, count int) time.Duration {
	b.Helper()
	addr := netip.AddrPortFrom(to.IP, 80).String()
	start := served.from(from.IP)
	began := time.Now()
	err := inNetNS(netnsPath(from.NetNS), func() error {
		for i := range count {
			conn, err := net.DialTimeout("tcp", addr, time.Second)
			if err != nil {
				return fmt.Errorf("connection %d: %w", i, err)
			}
			_, err = io.Copy(io.Discard, conn)
			conn.Close()
			if err != nil {
				return fmt.Errorf("connection %d: read: %w", i, err)
			}
		}
		return nil
	})
	took := time.Since(began)
	if err != nil {
		b.Fatal(err)
	}
	// The server's count lags its closes by the accept loop; wait for it.
	deadline := time.Now().Add(5 * time.Second)
	for served.from(from.IP)-start < count && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	if got := served.from(from.IP) - start; got != count {
		b.Fatalf("server accepted %d connections, want %d", got, count)
	}
	return took
}
