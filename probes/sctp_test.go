package probes

import (
	"context"
	"testing"
)

// TestSCTP checks whichever side of SCTP support this kernel has: a real
// association when it can, otherwise an Error that names the missing kernel
// support (never Blocked, which would read as a policy verdict).
func TestSCTP(t *testing.T) {
	available, reason := SCTPAvailable()
	if available {
		if reason != "" {
			t.Errorf("SCTPAvailable() = true, %q; want no reason", reason)
		}
		port := serveLoopback(t, "x/a", SCTP)[0]
		got := Run(context.Background(), Job{Host: "127.0.0.1", Port: port, Protocol: SCTP, Expect: "x/a"})
		if got.Outcome != Allowed || got.Detail != "answered x/a" {
			t.Errorf("Run SCTP = %s, %q; want allowed", got.Outcome, got.Detail)
		}
		return
	}
	if reason != "kernel has no SCTP: socket: protocol not supported" {
		t.Errorf("SCTPAvailable() reason = %q", reason)
	}
	got := Run(context.Background(), Job{Host: "127.0.0.1", Port: 9, Protocol: SCTP})
	if got.Outcome != Error || got.Detail != "socket: kernel has no SCTP: protocol not supported" {
		t.Errorf("Run SCTP = %s, %q; want error, kernel has no SCTP", got.Outcome, got.Detail)
	}
	_, err := Serve(context.Background(), "x/a", []PortSpec{{0, SCTP}})
	if err == nil || err.Error() != "serve: bind 0/SCTP: socket: protocol not supported" {
		t.Errorf("Serve SCTP error = %v, want the missing protocol", err)
	}
}
