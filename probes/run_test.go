package probes

import (
	"context"
	"net"
	"strconv"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

func TestRunLoopback(t *testing.T) {
	ports := serveLoopback(t, "x/a", TCP, UDP)
	tcp, udp := ports[0], ports[1]
	closed := closedPort(t)
	tests := []struct {
		name       string
		job        Job
		want       Outcome
		wantDetail string
	}{
		{"tcp allowed", Job{Host: "127.0.0.1", Port: tcp, Protocol: TCP, Expect: "x/a"}, Allowed, "answered x/a"},
		{"tcp any identity", Job{Host: "127.0.0.1", Port: tcp, Protocol: TCP}, Allowed, "answered x/a"},
		{"protocol defaults to tcp", Job{Host: "127.0.0.1", Port: tcp, Expect: "x/a"}, Allowed, "answered x/a"},
		{"protocol in lower case", Job{Host: "127.0.0.1", Port: udp, Protocol: "udp", Expect: "x/a"}, Allowed, "answered x/a"},
		{"udp allowed", Job{Host: "127.0.0.1", Port: udp, Protocol: UDP, Expect: "x/a"}, Allowed, "answered x/a"},
		// The server is bound to 0.0.0.0: without IP_PKTINFO its reply would
		// come from 127.0.0.1 and the connected client would drop it.
		{"udp reply from the dialled address", Job{Host: "127.0.0.7", Port: udp, Protocol: UDP, Expect: "x/a"}, Allowed, "answered x/a"},
		{"tcp to another loopback address", Job{Host: "127.0.0.7", Port: tcp, Protocol: TCP, Expect: "x/a"}, Allowed, "answered x/a"},
		{"tcp wrong identity", Job{Host: "127.0.0.1", Port: tcp, Protocol: TCP, Expect: "x/b"}, Error, "wrong identity: x/a answered, expected x/b"},
		{"udp wrong identity", Job{Host: "127.0.0.1", Port: udp, Protocol: UDP, Expect: "y/a"}, Error, "wrong identity: x/a answered, expected y/a"},
		{"tcp closed port", Job{Host: "127.0.0.1", Port: closed, Protocol: TCP}, Blocked, "connect: refused: connection refused"},
		// The ICMP port unreachable comes back as ECONNREFUSED on the read.
		{"udp closed port", Job{Host: "127.0.0.1", Port: closed, Protocol: UDP}, Blocked, "reply: refused: connection refused"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.job.From = "test/client"
			got := Run(context.Background(), tt.job)
			if got.Outcome != tt.want || got.Detail != tt.wantDetail {
				t.Errorf("Run(%+v) = %s, %q; want %s, %q", tt.job, got.Outcome, got.Detail, tt.want, tt.wantDetail)
			}
			if got.Job != tt.job {
				t.Errorf("Result.Job = %+v, want the job as given %+v", got.Job, tt.job)
			}
			if got.Elapsed <= 0 || got.Elapsed > DefaultTimeout {
				t.Errorf("Elapsed = %s, want within (0, %s]", got.Elapsed, DefaultTimeout)
			}
		})
	}
}

func TestRunBadJob(t *testing.T) {
	tests := []struct {
		name       string
		job        Job
		wantDetail string
	}{
		{"empty host", Job{Port: 80}, `bad job: host "" is not an IP address`},
		{"host name", Job{Host: "db.x.svc", Port: 80}, `bad job: host "db.x.svc" is not an IP address`},
		{"zoned host", Job{Host: "fe80::1%lo", Port: 80}, `bad job: host "fe80::1%lo" has a zone; pod and host addresses have none`},
		{"port zero", Job{Host: "127.0.0.1"}, "bad job: port must be 1-65535, not 0"},
		{"port too big", Job{Host: "127.0.0.1", Port: 65536}, "bad job: port must be 1-65535, not 65536"},
		{"protocol", Job{Host: "127.0.0.1", Port: 80, Protocol: "ICMP"}, `bad job: protocol must be TCP, UDP or SCTP, not "ICMP"`},
		{"negative timeout", Job{Host: "127.0.0.1", Port: 80, Timeout: -time.Second}, "bad job: timeout -1s is negative"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Run(context.Background(), tt.job)
			if got.Outcome != Error || got.Detail != tt.wantDetail {
				t.Errorf("Run(%+v) = %s, %q; want error, %q", tt.job, got.Outcome, got.Detail, tt.wantDetail)
			}
		})
	}
}

// TestRunDropped covers probes whose packets are swallowed, not answered, with
// loopback stand-ins for a drop: the outcome must be Blocked after the timeout.
func TestRunDropped(t *testing.T) {
	const timeout = 300 * time.Millisecond
	tests := []struct {
		name       string
		protocol   string
		listen     func(t testing.TB) int32
		wantDetail string
	}{
		// A SYN to a listener whose accept queue is full is dropped by the kernel.
		{"tcp syn dropped", TCP, fullBacklog, "connect: no answer within 300ms"},
		// The kernel completes the handshake, but nothing ever answers.
		{"tcp never answered", TCP, neverAccepted, "reply: no answer within 300ms"},
		{"udp never answered", UDP, silentUDP, "reply: no answer within 300ms"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			job := Job{Host: "127.0.0.1", Port: tt.listen(t), Protocol: tt.protocol, Timeout: timeout}
			got := Run(context.Background(), job)
			if got.Outcome != Blocked || got.Detail != tt.wantDetail {
				t.Errorf("Run = %s, %q; want blocked, %q", got.Outcome, got.Detail, tt.wantDetail)
			}
			if got.Elapsed < timeout || got.Elapsed > timeout+700*time.Millisecond {
				t.Errorf("Elapsed = %s, want about %s", got.Elapsed, timeout)
			}
		})
	}
}

// fullBacklog listens with a backlog of 0 and never accepts, then fills the
// accept queue with one connection, so that further SYNs are dropped.
func fullBacklog(t testing.TB) int32 {
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatalf("socket: %v", err)
	}
	t.Cleanup(func() { _ = unix.Close(fd) })
	if err := unix.Bind(fd, &unix.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}); err != nil {
		t.Fatalf("bind: %v", err)
	}
	if err := unix.Listen(fd, 0); err != nil {
		t.Fatalf("listen: %v", err)
	}
	sa, err := unix.Getsockname(fd)
	if err != nil {
		t.Fatalf("getsockname: %v", err)
	}
	port := sa.(*unix.SockaddrInet4).Port
	filler, err := net.DialTimeout("tcp4", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)), time.Second)
	if err != nil {
		t.Fatalf("fill the accept queue: %v", err)
	}
	t.Cleanup(func() { _ = filler.Close() })
	return int32(port)
}

func neverAccepted(t testing.TB) int32 {
	l, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	t.Cleanup(func() { _ = l.Close() })
	return int32(l.Addr().(*net.TCPAddr).Port)
}

func silentUDP(t testing.TB) int32 {
	c, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return int32(c.LocalAddr().(*net.UDPAddr).Port)
}

func TestRunUDPResends(t *testing.T) {
	c, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	defer c.Close()
	port := int32(c.LocalAddr().(*net.UDPAddr).Port)
	got := Run(context.Background(), Job{From: "x/a", Host: "127.0.0.1", Port: port, Protocol: UDP, Timeout: 700 * time.Millisecond})
	if got.Outcome != Blocked {
		t.Fatalf("Run = %s, %q; want blocked", got.Outcome, got.Detail)
	}
	// Sent at 0, 250 and 500ms: the same request each time.
	var requests []string
	buf := make([]byte, maxDatagram)
	_ = c.SetReadDeadline(time.Now().Add(50 * time.Millisecond))
	for {
		n, _, err := c.ReadFrom(buf)
		if err != nil {
			break
		}
		requests = append(requests, string(buf[:n]))
	}
	if len(requests) != 3 {
		t.Fatalf("server got %d requests %q, want 3", len(requests), requests)
	}
	nonce, ok := datagramNonce([]byte(requests[0]))
	if !ok || requests[0] != "netpolcheck x/a "+nonce || requests[1] != requests[0] || requests[2] != requests[0] {
		t.Errorf("requests = %q, want three copies of %q", requests, "netpolcheck x/a <nonce>")
	}
}

func TestRunServerClosesWithoutAnswer(t *testing.T) {
	l, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	defer l.Close()
	go func() {
		conn, err := l.Accept()
		if err != nil {
			return
		}
		_, _ = readLine(conn)
		_ = conn.Close()
	}()
	got := Run(context.Background(), Job{Host: "127.0.0.1", Port: int32(l.Addr().(*net.TCPAddr).Port), Protocol: TCP})
	if got.Outcome != Error || got.Detail != "reply: connection closed without an answer" {
		t.Errorf("Run = %s, %q; want error, %q", got.Outcome, got.Detail, "reply: connection closed without an answer")
	}
}

func TestRunCancelled(t *testing.T) {
	t.Run("before starting", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		got := Run(ctx, Job{Host: "127.0.0.1", Port: 80})
		if got.Outcome != Error || got.Detail != "interrupted before starting: context canceled" {
			t.Errorf("Run = %s, %q; want error, interrupted", got.Outcome, got.Detail)
		}
	})
	t.Run("while waiting", func(t *testing.T) {
		port := silentUDP(t)
		ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
		defer cancel()
		got := Run(ctx, Job{Host: "127.0.0.1", Port: port, Protocol: UDP, Timeout: 5 * time.Second})
		if got.Outcome != Error || got.Detail != "reply: interrupted: context deadline exceeded" {
			t.Errorf("Run = %s, %q; want error, interrupted", got.Outcome, got.Detail)
		}
		if got.Elapsed > time.Second {
			t.Errorf("Elapsed = %s, want the probe to stop with its context", got.Elapsed)
		}
	})
}
