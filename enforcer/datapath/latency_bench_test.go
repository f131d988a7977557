package datapath

import (
	"encoding/binary"
	"fmt"
	"net"
	"net/netip"
	"runtime"
	"slices"
	"sort"
	"sync"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/netpolcheck/netpolcheck/enforcer/compile"
)

// BenchmarkPolicyChange measures how long a policy change takes to be
// enforced in a cluster of 1,000 pods, all on this node (two real, the
// rest behind devices that do not exist), and 1,000 policies. Each
// iteration adds or removes the policy that admits a to b on 80/UDP,
// compiles the cluster with a compile.Compiler, as the controller does,
// and applies it, while a stream of datagrams
// from a to b's echo server runs underneath. It reports the 50th and 99th
// percentiles of Compile + Apply ("apply", and the CPU time of it alone,
// "apply-cpu") and of the time from the change
// to the first datagram that met the new verdict: echoed after an allowing
// change ("allow"), dropped after a denying one ("deny").
//
//	go test -run '^$' -bench BenchmarkPolicyChange -benchtime 200x ./enforcer/datapath/
func BenchmarkPolicyChange(b *testing.B) {
	requireKernel(b)
	podCIDR := netip.MustParsePrefix("192.168.84.0/24")
	node := newTestNode(b)
	pa := node.addPod(b, "a", netip.MustParseAddr("192.168.84.1"), podCIDR)
	pb := node.addPod(b, "b", netip.MustParseAddr("192.168.84.2"), podCIDR)
	pb.ServeUDP(b, 80)
	world := benchWorld{pods: 1000, local: 1000}
	all := policyWorld(1000)
	// Without b-from-a, b-isolated keeps b isolated: a's datagrams drop.
	inputs := [2]compile.Input{world.input(pa, pb, all[1:]), world.input(pa, pb, all)}

	d := openTest(b, WithNetNS(node.path()))
	for _, p := range []*testPod{pa, pb} {
		if err := d.Attach(p.HostIndex); err != nil {
			b.Fatalf("Attach: %v", err)
		}
	}
	var compiler compile.Compiler
	if _, err := compileAndApply(d, &compiler, inputs[0]); err != nil {
		b.Fatalf("first change: %v", err)
	}
	stream := startUDPStream(b, pa, netip.AddrPortFrom(pb.IP, 80))

	var apply, cpu, allow, deny []time.Duration
	b.ResetTimer()
	for i := range b.N {
		allowing := i%2 == 0
		in := inputs[0]
		if allowing {
			in = inputs[1]
		}
		changed := time.Now()
		took, err := compileAndApply(d, &compiler, in)
		if err != nil {
			b.Fatal(err)
		}
		apply = append(apply, time.Since(changed))
		cpu = append(cpu, took)
		seen, err := stream.observe(changed, allowing)
		if err != nil {
			b.Fatalf("change %d: %v", i, err)
		}
		if allowing {
			allow = append(allow, seen)
		} else {
			deny = append(deny, seen)
		}
	}
	b.StopTimer()
	interval := stream.stop()
	for _, m := range []struct {
		name    string
		samples []time.Duration
	}{{"apply", apply}, {"apply-cpu", cpu}, {"allow", allow}, {"deny", deny}} {
		if len(m.samples) == 0 {
			continue
		}
		b.ReportMetric(percentile(m.samples, 0.50).Seconds()*1e3, m.name+"-p50-ms")
		b.ReportMetric(percentile(m.samples, 0.99).Seconds()*1e3, m.name+"-p99-ms")
	}
	b.ReportMetric(float64(interval.Microseconds()), "µs/datagram")
}

// compileAndApply compiles and applies on one locked thread and returns
// the CPU time that thread spent: the cost of a change without the time
// spent waiting for a CPU, which on a shared machine is most of the tail.
// Garbage collection running on other threads is left out.
func compileAndApply(d *Datapath, compiler *compile.Compiler, in compile.Input) (time.Duration, error) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	var before, after unix.Rusage
	if err := unix.Getrusage(unix.RUSAGE_THREAD, &before); err != nil {
		return 0, fmt.Errorf("rusage: %w", err)
	}
	tables, err := compiler.Compile(in)
	if err != nil {
		return 0, err
	}
	if _, err := d.Apply(tables); err != nil {
		return 0, err
	}
	if err := unix.Getrusage(unix.RUSAGE_THREAD, &after); err != nil {
		return 0, fmt.Errorf("rusage: %w", err)
	}
	spent := func(r unix.Rusage) time.Duration {
		return time.Duration(r.Utime.Nano() + r.Stime.Nano())
	}
	return spent(after) - spent(before), nil
}

// percentile is the nearest-rank percentile of the samples.
func percentile(samples []time.Duration, p float64) time.Duration {
	sorted := slices.Clone(samples)
	slices.Sort(sorted)
	rank := int(p*float64(len(sorted))+0.999999) - 1
	return sorted[max(rank, 0)]
}

// udpStream sends a numbered datagram every half millisecond or so from
// one socket and records which ones came back: fine enough against a 50ms
// goal, sparse enough not to take the CPU from what it measures.
type udpStream struct {
	conn   *net.UDPConn
	mu     sync.Mutex
	sent   []time.Time
	echoed []bool
	done   chan struct{}
	wg     sync.WaitGroup
}

// A datagram not echoed this long after it was sent was dropped: echoes
// on veths take microseconds, this leaves room for a loaded machine.
const echoSettle = 100 * time.Millisecond

func startUDPStream(tb testing.TB, from *testPod, to netip.AddrPort) *udpStream {
	tb.Helper()
	s := &udpStream{done: make(chan struct{})}
	err := inNetNS(netnsPath(from.NetNS), func() (err error) {
		s.conn, err = net.DialUDP("udp", nil, net.UDPAddrFromAddrPort(to))
		return err
	})
	if err != nil {
		tb.Fatalf("open stream: %v", err)
	}
	s.wg.Go(s.send)
	s.wg.Go(s.receive)
	tb.Cleanup(func() { s.stop() })
	return s
}

func (s *udpStream) send() {
	buf := make([]byte, 8)
	for seq := uint64(0); ; seq++ {
		select {
		case <-s.done:
			return
		default:
		}
		s.mu.Lock()
		s.sent = append(s.sent, time.Now())
		s.echoed = append(s.echoed, false)
		s.mu.Unlock()
		binary.BigEndian.PutUint64(buf, seq)
		s.conn.Write(buf) // a refusal or a full buffer shows as a missing echo
		// time.Sleep rounds up to about a millisecond; a plain nanosleep
		// blocks this goroutine's thread for close to what it asks.
		unix.Nanosleep(&unix.Timespec{Nsec: 400_000}, nil)
	}
}

func (s *udpStream) receive() {
	buf := make([]byte, 16)
	for {
		n, err := s.conn.Read(buf)
		select {
		case <-s.done:
			return
		default:
		}
		if err != nil || n != 8 {
			continue
		}
		seq := binary.BigEndian.Uint64(buf)
		s.mu.Lock()
		if seq < uint64(len(s.echoed)) {
			s.echoed[seq] = true
		}
		s.mu.Unlock()
	}
}

// stop ends the stream and returns the mean time between datagrams: the
// resolution of the observations.
func (s *udpStream) stop() time.Duration {
	select {
	case <-s.done:
	default:
		close(s.done)
		s.conn.Close()
		s.wg.Wait()
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.sent) < 2 {
		return 0
	}
	return s.sent[len(s.sent)-1].Sub(s.sent[0]) / time.Duration(len(s.sent)-1)
}

// observe waits for the first datagram sent after changed that met the
// new verdict, echoed or not, and returns how long after the change it was
// sent. It also checks that every later datagram, up to 10ms after, met
// the same verdict: a change must not flicker.
func (s *udpStream) observe(changed time.Time, allowing bool) (time.Duration, error) {
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		settled := time.Now().Add(-echoSettle)
		s.mu.Lock()
		first := sort.Search(len(s.sent), func(i int) bool { return !s.sent[i].Before(changed) })
		hit := -1
		for i := first; i < len(s.sent) && s.sent[i].Before(settled); i++ {
			if s.echoed[i] == allowing {
				hit = i
				break
			}
		}
		if hit >= 0 && s.sent[hit].Add(10*time.Millisecond).Before(settled) {
			for i := hit + 1; i < len(s.sent) && s.sent[i].Before(settled); i++ {
				if s.echoed[i] != allowing {
					s.mu.Unlock()
					return 0, fmt.Errorf("datagram %d met the new verdict (echoed %v) %v after the change, datagram %d did not",
						hit, allowing, s.sent[hit].Sub(changed), i)
				}
			}
			seen := s.sent[hit].Sub(changed)
			s.mu.Unlock()
			return seen, nil
		}
		s.mu.Unlock()
		time.Sleep(time.Millisecond)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	first := sort.Search(len(s.sent), func(i int) bool { return !s.sent[i].Before(changed) })
	echoed := 0
	for _, e := range s.echoed[first:] {
		if e {
			echoed++
		}
	}
	return 0, fmt.Errorf("no datagram met the new verdict (echoed %v) within 5s: %d sent since the change, %d echoed",
		allowing, len(s.sent)-first, echoed)
}

// BenchmarkCompileWorld is the compile half of BenchmarkPolicyChange on its
// own, with nothing attached: 1,000 pods, all on this node, and 1,000
// policies.
//
//	go test -run '^$' -bench BenchmarkCompileWorld -benchmem ./enforcer/datapath/
func BenchmarkCompileWorld(b *testing.B) {
	a := &testPod{IP: netip.MustParseAddr("192.168.84.1"), HostIndex: 2}
	c := &testPod{IP: netip.MustParseAddr("192.168.84.2"), HostIndex: 3}
	in := benchWorld{pods: 1000, local: 1000}.input(a, c, policyWorld(1000))
	var tables *compile.Tables
	for b.Loop() {
		tables = compileOrFail(b, in)
	}
	b.ReportMetric(float64(len(tables.Peers)), "peers")
	b.ReportMetric(float64(len(tables.Endpoints)), "endpoints")
}

// BenchmarkCompileChange is the compile half of BenchmarkPolicyChange as
// the controller does it: one compile.Compiler, and each iteration adds or
// removes the policy that admits a to b in the world of
// BenchmarkCompileWorld.
//
//	go test -run '^$' -bench BenchmarkCompileChange -benchmem ./enforcer/datapath/
func BenchmarkCompileChange(b *testing.B) {
	a := &testPod{IP: netip.MustParseAddr("192.168.84.1"), HostIndex: 2}
	c := &testPod{IP: netip.MustParseAddr("192.168.84.2"), HostIndex: 3}
	world := benchWorld{pods: 1000, local: 1000}
	all := policyWorld(1000)
	inputs := [2]compile.Input{world.input(a, c, all[1:]), world.input(a, c, all)}
	var compiler compile.Compiler
	if _, err := compiler.Compile(inputs[0]); err != nil {
		b.Fatalf("Compile: %v", err)
	}
	var tables *compile.Tables
	i := 0
	for b.Loop() {
		i++
		var err error
		if tables, err = compiler.Compile(inputs[i%2]); err != nil {
			b.Fatalf("Compile: %v", err)
		}
	}
	b.ReportMetric(float64(len(tables.Peers)), "peers")
	b.ReportMetric(float64(len(tables.Endpoints)), "endpoints")
}
