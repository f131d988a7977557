package main

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/netpolcheck/netpolcheck/probes"
)

func TestHoldAnswersEachCommandBySequence(t *testing.T) {
	srv, err := probes.Serve(context.Background(), "x/b", []probes.PortSpec{{Port: 0, Protocol: probes.TCP}})
	if err != nil {
		t.Fatalf("Serve: %v", err)
	}
	defer srv.Close()
	port := fmt.Sprint(srv.Ports()[0].Port)
	code, out, stderr := runCommand(t, context.Background(), "exchange 1\ndial 2\nexchange 3\n",
		"hold", "--to", "127.0.0.1", "--port", port, "--expect", "x/b", "--from", "x/a")
	if code != 0 {
		t.Fatalf("hold exited %d: %s", code, stderr)
	}
	var seqs []int
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		var l holdLine
		if err := json.Unmarshal([]byte(line), &l); err != nil {
			t.Fatalf("output line %q: %v", line, err)
		}
		if l.Result.Outcome != probes.Allowed {
			t.Errorf("seq %d: %s (%s), want allowed", l.Seq, l.Result.Outcome, l.Result.Detail)
		}
		seqs = append(seqs, l.Seq)
	}
	slices.Sort(seqs)
	if !slices.Equal(seqs, []int{0, 1, 2, 3}) {
		t.Errorf("sequence numbers %v, want 0-3 once each", seqs)
	}
}

func TestHoldRefusesUnknownCommands(t *testing.T) {
	code, _, stderr := runCommand(t, context.Background(), "ping\n", "hold", "--to", "127.0.0.1", "--port", "9", "--timeout", "200ms")
	if code != exitUsage || !strings.Contains(stderr, `command "ping"`) {
		t.Errorf("hold with stdin ping = %d, %q; want exit %d naming the command", code, stderr, exitUsage)
	}
}

func TestWaitEndsWithItsContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int)
	go func() {
		code, _, _ := runCommand(t, ctx, "", "wait")
		done <- code
	}()
	select {
	case code := <-done:
		t.Fatalf("wait returned %d before its context ended", code)
	case <-time.After(100 * time.Millisecond):
	}
	cancel()
	if code := <-done; code != 0 {
		t.Errorf("wait exited %d, want 0", code)
	}
}
