package probes

import (
	"context"
	"net/netip"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// The SCTP code path runs here with IPPROTO_TCP, so it is tested on kernels
// without SCTP too.
func TestRawStreamOverTCP(t *testing.T) {
	l, err := listenStream(unix.IPPROTO_TCP, 0)
	if err != nil {
		t.Fatalf("listenStream: %v", err)
	}
	s := newServer("x/raw")
	s.addRawStream(l, TCP)
	s.start(context.Background())
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	netPort := serveLoopback(t, "x/net", TCP)[0]
	closed := closedPort(t)
	silent := neverAccepted(t)
	full := fullBacklog(t)
	const timeout = 300 * time.Millisecond
	tests := []struct {
		name       string
		port       int32
		want       Outcome
		wantDetail string
		wantBlock  Block
	}{
		{"raw client, raw server", l.port, Allowed, "answered x/raw", ""},
		{"raw client, net server", netPort, Allowed, "answered x/net", ""},
		{"refused", closed, Blocked, "connect: refused: connection refused", Refused},
		{"never answered", silent, Blocked, "reply: no answer within 300ms", Dropped},
		{"syn dropped", full, Blocked, "connect: no answer within 300ms", Dropped},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), timeout)
			defer cancel()
			tgt := target{addr: netip.AddrPortFrom(netip.MustParseAddr("127.0.0.1"), uint16(tt.port)), protocol: TCP, timeout: timeout}
			start := time.Now()
			identity, err := exchangeRawStream(ctx, unix.IPPROTO_TCP, tgt.addr, "test/client")
			got, detail := judge(identity, "")
			var block Block
			if err != nil {
				got, detail, block = classify(context.Background(), ctx, tgt, err)
			}
			if got != tt.want || detail != tt.wantDetail || block != tt.wantBlock {
				t.Errorf("exchange = %s (%q), %q; want %s (%q), %q", got, block, detail, tt.want, tt.wantBlock, tt.wantDetail)
			}
			if took := time.Since(start); took > timeout+700*time.Millisecond {
				t.Errorf("exchange took %s, want at most about %s", took, timeout)
			}
		})
	}
	// A raw server also answers the net package's TCP client.
	if got := Run(context.Background(), Job{Host: "127.0.0.1", Port: l.port, Protocol: TCP, Expect: "x/raw"}); got.Outcome != Allowed {
		t.Errorf("Run against the raw server = %s, %q", got.Outcome, got.Detail)
	}
}

func TestRawListenerCloseWakesAccept(t *testing.T) {
	l, err := listenStream(unix.IPPROTO_TCP, 0)
	if err != nil {
		t.Fatalf("listenStream: %v", err)
	}
	done := make(chan error, 1)
	go func() {
		_, err := l.Accept()
		done <- err
	}()
	time.Sleep(20 * time.Millisecond)
	if err := l.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	select {
	case err := <-done:
		if err == nil {
			t.Error("Accept after Close returned no error")
		}
	case <-time.After(time.Second):
		t.Fatal("Accept still blocked a second after Close")
	}
}
