package probes

import (
	"bufio"
	"context"
	"net"
	"strings"
	"testing"
	"time"
)

func TestHeldConnectionAnswersUntilClosed(t *testing.T) {
	port := serveLoopback(t, "x/b", TCP)[0]
	job := Job{From: "x/a", To: "x/b", Host: "127.0.0.1", Port: port, Protocol: TCP, Expect: "x/b", Timeout: time.Second}
	held, first := Hold(context.Background(), job)
	defer held.Close()
	if first.Outcome != Allowed {
		t.Fatalf("first exchange: %s (%s), want allowed", first.Outcome, first.Detail)
	}
	for i := range 3 {
		if r := held.Exchange(context.Background()); r.Outcome != Allowed {
			t.Fatalf("exchange %d: %s (%s), want allowed over the same connection", i+1, r.Outcome, r.Detail)
		}
	}
	if err := held.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if r := held.Exchange(context.Background()); r.Outcome != Error || !strings.Contains(r.Detail, "closed") {
		t.Errorf("exchange after Close: %s (%s), want an error saying it was closed", r.Outcome, r.Detail)
	}
}

// TestHeldConnectionSeesASilentPeerAsDropped stands for an enforcer that
// starts dropping an established connection's packets: the server answers
// the first request and then reads but never answers.
func TestHeldConnectionSeesASilentPeerAsDropped(t *testing.T) {
	l, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	go func() {
		conn, err := l.Accept()
		if err != nil {
			return
		}
		defer conn.Close()
		r := bufio.NewReader(conn)
		if _, err := r.ReadString('\n'); err != nil {
			return
		}
		_, _ = conn.Write([]byte("x/b\n"))
		_, _ = r.ReadString('\n')
		time.Sleep(2 * time.Second)
	}()
	job := Job{From: "x/a", Host: "127.0.0.1", Port: int32(l.Addr().(*net.TCPAddr).Port), Protocol: TCP, Timeout: 200 * time.Millisecond}
	held, first := Hold(context.Background(), job)
	defer held.Close()
	if first.Outcome != Allowed {
		t.Fatalf("first exchange: %s (%s)", first.Outcome, first.Detail)
	}
	r := held.Exchange(context.Background())
	if r.Outcome != Blocked || r.Blocked != Dropped {
		t.Fatalf("exchange with a silent peer: %s/%s (%s), want blocked/dropped", r.Outcome, r.Blocked, r.Detail)
	}
	if again := held.Exchange(context.Background()); again.Outcome != Error || !strings.Contains(again.Detail, "no answer") {
		t.Errorf("exchange after the cut: %s (%s), want an error naming the cut", again.Outcome, again.Detail)
	}
}

func TestHoldRefusedAndBadJobs(t *testing.T) {
	held, r := Hold(context.Background(), Job{Host: "127.0.0.1", Port: closedPort(t), Protocol: TCP, Timeout: time.Second})
	if r.Outcome != Blocked || r.Blocked != Refused {
		t.Errorf("hold to a closed port: %s/%s (%s), want blocked/refused", r.Outcome, r.Blocked, r.Detail)
	}
	if again := held.Exchange(context.Background()); again.Outcome != Error {
		t.Errorf("exchange on a connection never made: %s, want error", again.Outcome)
	}
	if _, r := Hold(context.Background(), Job{Host: "127.0.0.1", Port: 80, Protocol: UDP}); r.Outcome != Error || !strings.Contains(r.Detail, "only TCP") {
		t.Errorf("hold of UDP: %s (%s), want an error", r.Outcome, r.Detail)
	}
}
