package probes

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestClassify(t *testing.T) {
	live := context.Background()
	expired, cancelExpired := context.WithTimeout(live, -time.Second)
	defer cancelExpired()
	cancelled, cancel := context.WithCancel(live)
	cancel()
	tcp := target{protocol: TCP, timeout: 2 * time.Second}
	sctp := target{protocol: SCTP, timeout: time.Second}
	// opErr wraps an errno the way net.Dial does.
	opErr := func(errno syscall.Errno) error {
		return &net.OpError{Op: "dial", Net: "tcp", Err: os.NewSyscallError("connect", errno)}
	}
	tests := []struct {
		name          string
		parent, probe context.Context
		target        target
		err           error
		want          Outcome
		wantDetail    string
	}{
		{"refused", live, live, tcp, inPhase("connect", opErr(syscall.ECONNREFUSED)), Blocked, "connect: refused: connection refused"},
		{"reset", live, live, tcp, inPhase("reply", opErr(syscall.ECONNRESET)), Blocked, "reply: reset: connection reset by peer"},
		{"kernel timeout", live, live, tcp, inPhase("connect", opErr(syscall.ETIMEDOUT)), Blocked, "connect: timed out: connection timed out"},
		{"probe deadline", live, expired, tcp, inPhase("reply", net.ErrClosed), Blocked, "reply: no answer within 2s"},
		{"deadline error", live, live, tcp, inPhase("connect", context.DeadlineExceeded), Blocked, "connect: no answer within 2s"},
		{"dialer timeout before the context's", live, live, tcp, inPhase("connect", &net.OpError{Op: "dial", Net: "tcp", Err: os.ErrDeadlineExceeded}), Blocked, "connect: no answer within 2s"},
		{"no route to host", live, live, tcp, inPhase("connect", opErr(syscall.EHOSTUNREACH)), Error, "connect: no route: no route to host"},
		{"network unreachable", live, live, tcp, inPhase("connect", opErr(syscall.ENETUNREACH)), Error, "connect: no route: network is unreachable"},
		{"no sctp", live, live, sctp, inPhase("socket", syscall.EPROTONOSUPPORT), Error, "socket: kernel has no SCTP: protocol not supported"},
		{"other errno", live, live, tcp, inPhase("connect", opErr(syscall.EPERM)), Error, "connect: operation not permitted"},
		{"no answer", live, live, tcp, inPhase("reply", errNoAnswer), Error, "reply: connection closed without an answer"},
		{"no phase", live, live, tcp, errors.New("odd"), Error, "odd"},
		{"caller cancelled", cancelled, cancelled, tcp, inPhase("connect", opErr(syscall.ECONNREFUSED)), Error, "connect: interrupted: context canceled"},
		{"caller deadline", expired, expired, tcp, inPhase("reply", net.ErrClosed), Error, "reply: interrupted: context deadline exceeded"},
		{"refusal wins over the deadline", live, expired, tcp, inPhase("connect", fmt.Errorf("wrapped: %w", opErr(syscall.ECONNREFUSED))), Blocked, "connect: refused: connection refused"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, detail, block := classify(tt.parent, tt.probe, tt.target, tt.err)
			if got != tt.want || detail != tt.wantDetail {
				t.Errorf("classify(%v) = %s, %q; want %s, %q", tt.err, got, detail, tt.want, tt.wantDetail)
			}
			// A refusal or reset is a reject; everything else blocked is a drop.
			var wantBlock Block
			switch {
			case got != Blocked:
			case strings.Contains(detail, "refused") || strings.Contains(detail, "reset"):
				wantBlock = Refused
			default:
				wantBlock = Dropped
			}
			if block != wantBlock {
				t.Errorf("classify(%v) block = %q, want %q", tt.err, block, wantBlock)
			}
		})
	}
}

func TestJudge(t *testing.T) {
	tests := []struct {
		identity, expect string
		want             Outcome
		wantDetail       string
	}{
		{"x/a", "x/a", Allowed, "answered x/a"},
		{"x/a", "", Allowed, "answered x/a"},
		{"x/b", "x/a", Error, "wrong identity: x/b answered, expected x/a"},
		{"", "x/a", Error, "reply: empty identity"},
	}
	for _, tt := range tests {
		got, detail := judge(tt.identity, tt.expect)
		if got != tt.want || detail != tt.wantDetail {
			t.Errorf("judge(%q, %q) = %s, %q; want %s, %q", tt.identity, tt.expect, got, detail, tt.want, tt.wantDetail)
		}
	}
}
