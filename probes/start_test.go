package probes

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"os"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestIntegrationStartInNamespaceFinishOutside starts probes on a thread in a
// client namespace and finishes them on ordinary goroutines of the host
// namespace: the server, in a namespace of its own joined to the client's by
// a veth, must see them come from the client's address, and refusals must
// classify as they do with Run.
func TestIntegrationStartInNamespaceFinishOutside(t *testing.T) {
	requireNetAdmin(t, "ip")
	client := fmt.Sprintf("npcprobes-%d-sc", os.Getpid())
	server := fmt.Sprintf("npcprobes-%d-ss", os.Getpid())
	addNetns(t, client)
	addNetns(t, server)
	command(t, "", "ip", "-n", client, "link", "add", "npcs0", "type", "veth", "peer", "name", "npcs1", "netns", server)
	command(t, "", "ip", "-n", client, "addr", "add", "10.213.1.1/30", "dev", "npcs0")
	command(t, "", "ip", "-n", server, "addr", "add", "10.213.1.2/30", "dev", "npcs1")
	for _, ns := range []string{client, server} {
		command(t, "", "ip", "-n", ns, "link", "set", "lo", "up")
	}
	command(t, "", "ip", "-n", client, "link", "set", "npcs0", "up")
	command(t, "", "ip", "-n", server, "link", "set", "npcs1", "up")
	waitLinkUp(t, client, "npcs0")
	waitLinkUp(t, server, "npcs1")
	rec := &sourceRecorder{}
	var tcpPort, udpPort int32
	inThreadNetns(t, namedNetns(server), func() {
		tcpPort = rec.serveTCP(t, "s/server")
		udpPort = rec.serveUDP(t, "s/server")
	})

	const timeout = 500 * time.Millisecond
	tests := []struct {
		name       string
		port       int32
		protocol   string
		want       Outcome
		wantDetail string
		wantSource string // the address the server saw; empty when it saw nothing
	}{
		{"tcp answered", tcpPort, TCP, Allowed, "answered s/server", "10.213.1.1"},
		{"udp answered", udpPort, UDP, Allowed, "answered s/server", "10.213.1.1"},
		// Nothing listens on port 9 of the fresh server namespace.
		{"tcp refused", 9, TCP, Blocked, "connect: refused: connection refused", ""},
		{"udp refused", 9, UDP, Blocked, "reply: refused: connection refused", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec.reset()
			job := Job{From: "c/client", To: "s/server", Host: "10.213.1.2", Port: tt.port, Protocol: tt.protocol, Expect: "s/server", Timeout: timeout}
			var s *Started
			inThreadNetns(t, namedNetns(client), func() { s = Start(context.Background(), job) })
			// The thread that made the socket has ended with its goroutine;
			// this one never entered the client's namespace.
			done := make(chan Result)
			go func() { done <- s.Finish(context.Background()) }()
			got := <-done
			if got.Outcome != tt.want || got.Detail != tt.wantDetail || got.Job != job {
				t.Errorf("Finish = %s, %q for %+v; want %s, %q", got.Outcome, got.Detail, got.Job, tt.want, tt.wantDetail)
			}
			var wantSources []string
			if tt.wantSource != "" {
				wantSources = []string{tt.wantSource}
			}
			if sources := rec.seen(); fmt.Sprint(sources) != fmt.Sprint(wantSources) {
				t.Errorf("server saw requests from %v, want %v", sources, wantSources)
			}
		})
	}
}

// sourceRecorder answers probes with an identity and notes the source
// address of each request.
type sourceRecorder struct {
	mu      sync.Mutex
	sources []string
}

func (r *sourceRecorder) note(addr net.IP) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.sources = append(r.sources, addr.String())
}

func (r *sourceRecorder) seen() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.sources...)
}

func (r *sourceRecorder) reset() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.sources = nil
}

// serveTCP listens on the calling thread's namespace and answers each
// connection's request line with identity.
func (r *sourceRecorder) serveTCP(t *testing.T, identity string) int32 {
	t.Helper()
	l, err := net.Listen("tcp4", "0.0.0.0:0")
	if err != nil {
		t.Fatalf("listen tcp: %v", err)
	}
	t.Cleanup(func() { _ = l.Close() })
	go func() {
		for {
			conn, err := l.Accept()
			if err != nil {
				return
			}
			r.note(conn.RemoteAddr().(*net.TCPAddr).IP)
			_ = conn.SetDeadline(time.Now().Add(time.Second))
			if _, err := readLine(conn); err == nil {
				_, _ = conn.Write([]byte(identity + "\n"))
			}
			_ = conn.Close()
		}
	}()
	return int32(l.Addr().(*net.TCPAddr).Port)
}

// serveUDP listens on the calling thread's namespace and answers each
// request with identity and its nonce.
func (r *sourceRecorder) serveUDP(t *testing.T, identity string) int32 {
	t.Helper()
	c, err := net.ListenPacket("udp4", "0.0.0.0:0")
	if err != nil {
		t.Fatalf("listen udp: %v", err)
	}
	t.Cleanup(func() { _ = c.Close() })
	go func() {
		buf := make([]byte, maxDatagram)
		for {
			n, from, err := c.ReadFrom(buf)
			if err != nil {
				return
			}
			nonce, ok := datagramNonce(buf[:n])
			if !ok {
				continue
			}
			r.note(from.(*net.UDPAddr).IP)
			_, _ = c.WriteTo([]byte(identity+" "+nonce), from)
		}
	}()
	return int32(c.LocalAddr().(*net.UDPAddr).Port)
}

// TestStartThenFinish covers the split on loopback: the outcome is Run's,
// and the timeout counts from Start, not from Finish.
func TestStartThenFinish(t *testing.T) {
	ports := serveLoopback(t, "x/a", TCP, UDP)
	closed := closedPort(t)
	const timeout = 400 * time.Millisecond
	const delay = 250 * time.Millisecond
	tests := []struct {
		name       string
		job        Job
		want       Outcome
		wantDetail string
		// wantElapsed is at least what Result.Elapsed must be: the delay
		// between Start and Finish, and the timeout for a blocked probe.
		wantElapsed time.Duration
	}{
		{"tcp allowed", Job{Host: "127.0.0.1", Port: ports[0], Protocol: TCP, Expect: "x/a"}, Allowed, "answered x/a", delay},
		{"udp allowed", Job{Host: "127.0.0.1", Port: ports[1], Protocol: UDP, Expect: "x/a"}, Allowed, "answered x/a", delay},
		{"tcp refused", Job{Host: "127.0.0.1", Port: closed, Protocol: TCP}, Blocked, "connect: refused: connection refused", delay},
		{"tcp never answered", Job{Host: "127.0.0.1", Port: neverAccepted(t), Protocol: TCP}, Blocked, "reply: no answer within 400ms", timeout},
		{"udp never answered", Job{Host: "127.0.0.1", Port: silentUDP(t), Protocol: UDP}, Blocked, "reply: no answer within 400ms", timeout},
		{"bad job", Job{Host: "127.0.0.1", Port: 0}, Error, "bad job: port must be 1-65535, not 0", delay},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.job.From, tt.job.Timeout = "test/client", timeout
			s := Start(context.Background(), tt.job)
			time.Sleep(delay)
			finishing := time.Now()
			got := s.Finish(context.Background())
			took := time.Since(finishing)
			if got.Outcome != tt.want || got.Detail != tt.wantDetail || got.Job != tt.job {
				t.Errorf("Finish = %s, %q for %+v; want %s, %q", got.Outcome, got.Detail, got.Job, tt.want, tt.wantDetail)
			}
			if got.Elapsed < tt.wantElapsed || got.Elapsed > tt.wantElapsed+500*time.Millisecond {
				t.Errorf("Elapsed = %s, want about %s", got.Elapsed, tt.wantElapsed)
			}
			// Had the timeout counted from Finish, a blocked probe would
			// have taken the whole of it here, not the 150ms left.
			if took > timeout-delay+150*time.Millisecond {
				t.Errorf("Finish took %s after a %s delay, want at most about %s", took, delay, timeout-delay)
			}
		})
	}
}

func TestStartedFinishAfterClose(t *testing.T) {
	port := silentUDP(t)
	tests := []struct {
		name   string
		finish func(s *Started) Result
	}{
		{"finish after close", func(s *Started) Result {
			if err := s.Close(); err != nil {
				t.Errorf("Close: %v", err)
			}
			return s.Finish(context.Background())
		}},
		{"finish twice", func(s *Started) Result {
			_ = s.Finish(context.Background())
			return s.Finish(context.Background())
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			job := Job{Host: "127.0.0.1", Port: port, Protocol: UDP, Timeout: 50 * time.Millisecond}
			got := tt.finish(Start(context.Background(), job))
			if got.Outcome != Error || got.Detail != "probe finished or closed already" || got.Job != job {
				t.Errorf("Finish = %+v, want error, probe finished or closed already", got)
			}
			s := Start(context.Background(), job)
			_ = s.Finish(context.Background())
			if err := s.Close(); err != nil {
				t.Errorf("Close after Finish = %v, want nil", err)
			}
		})
	}
}

func TestStartCancelledBeforeFinish(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	s := Start(ctx, Job{Host: "127.0.0.1", Port: silentUDP(t), Protocol: UDP, Timeout: 5 * time.Second})
	cancel()
	got := s.Finish(ctx)
	if got.Outcome != Error || got.Detail != "reply: interrupted: context canceled" {
		t.Errorf("Finish = %s, %q; want error, reply: interrupted: context canceled", got.Outcome, got.Detail)
	}
	if got.Elapsed > time.Second {
		t.Errorf("Elapsed = %s, want the probe to stop with its context", got.Elapsed)
	}
}

// A probe whose drop the network reports ends then, as Dropped, however
// long its timeout; one that is answered first is Allowed whatever the
// watch says later. The watch learns the socket's own address and is
// stopped once the probe is finished.
func TestFinishWatched(t *testing.T) {
	ports := serveLoopback(t, "x/a", TCP)
	const timeout = 5 * time.Second
	tests := []struct {
		name       string
		job        Job
		reportIn   time.Duration
		want       Outcome
		wantDetail string
		wantBlock  Block
	}{
		{"tcp never answered, drop reported", Job{Port: neverAccepted(t), Protocol: TCP}, 30 * time.Millisecond, Blocked, "reply: dropped: the network logged the drop after", Dropped},
		{"udp never answered, drop reported", Job{Port: silentUDP(t), Protocol: UDP}, 30 * time.Millisecond, Blocked, "reply: dropped: the network logged the drop after", Dropped},
		{"tcp answered before any report", Job{Port: ports[0], Protocol: TCP, Expect: "x/a"}, time.Second, Allowed, "answered x/a", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.job.From, tt.job.Host, tt.job.Timeout = "test/client", "127.0.0.1", timeout
			var watched netip.AddrPort
			stopped := make(chan struct{}, 2)
			var started time.Duration
			watch := func(j Job, local netip.AddrPort, at time.Duration, dropped func()) func() {
				watched, started = local, at
				timer := time.AfterFunc(tt.reportIn, dropped)
				return func() {
					timer.Stop()
					stopped <- struct{}{}
				}
			}
			got := Start(context.Background(), tt.job).FinishWatched(context.Background(), watch)
			if got.Outcome != tt.want || got.Blocked != tt.wantBlock || !strings.HasPrefix(got.Detail, tt.wantDetail) {
				t.Errorf("FinishWatched = %s (%s), %q; want %s (%s), %q...", got.Outcome, got.Blocked, got.Detail, tt.want, tt.wantBlock, tt.wantDetail)
			}
			if got.Elapsed > timeout/2 {
				t.Errorf("took %v: the reported drop did not end the wait", got.Elapsed)
			}
			if watched.Addr() != netip.MustParseAddr("127.0.0.1") || watched.Port() == 0 {
				t.Errorf("watch was given the socket's address %v, want 127.0.0.1 and its port", watched)
			}
			if now := monotonicNow(); started <= 0 || started > now {
				t.Errorf("watch was told the socket started at %v on the monotonic clock, want a time before now (%v)", started, now)
			}
			if len(stopped) != 1 {
				t.Errorf("watch stopped %d times, want once", len(stopped))
			}
		})
	}
}

// A deliberately slow server, answering 150ms after each request, still
// reads allowed while a drop watch that reports nothing is in place: only
// a reported drop, never slowness, ends a probe early.
func TestSlowAnswerReadsAllowedUnderAWatch(t *testing.T) {
	const delay = 150 * time.Millisecond
	l, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	go func() {
		for {
			conn, err := l.Accept()
			if err != nil {
				return
			}
			go func() {
				defer conn.Close()
				if _, err := readLine(conn); err != nil {
					return
				}
				time.Sleep(delay)
				_, _ = conn.Write([]byte("x/slow\n"))
			}()
		}
	}()
	u, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { u.Close() })
	go func() {
		buf := make([]byte, maxDatagram)
		for {
			n, from, err := u.ReadFrom(buf)
			if err != nil {
				return
			}
			if nonce, ok := datagramNonce(buf[:n]); ok {
				reply := datagramReply("x/slow", nonce)
				time.AfterFunc(delay, func() { _, _ = u.WriteTo(reply, from) })
			}
		}
	}()
	silentWatch := func(Job, netip.AddrPort, time.Duration, func()) func() { return func() {} }
	for _, job := range []Job{
		{Port: int32(l.Addr().(*net.TCPAddr).Port), Protocol: TCP},
		{Port: int32(u.LocalAddr().(*net.UDPAddr).Port), Protocol: UDP},
	} {
		job.From, job.Host, job.Expect, job.Timeout = "test/client", "127.0.0.1", "x/slow", time.Second
		got := Start(context.Background(), job).FinishWatched(context.Background(), silentWatch)
		if got.Outcome != Allowed || got.Elapsed < delay {
			t.Errorf("%s to a server answering after %v: %s (%s) after %v, want allowed after the delay", job.Protocol, delay, got.Outcome, got.Detail, got.Elapsed)
		}
	}
}
