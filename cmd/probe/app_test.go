package main

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/netpolcheck/netpolcheck/probes"
)

// runCommand runs the probe command in-process and returns its exit status and output.
func runCommand(t *testing.T, ctx context.Context, stdin string, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	err := run(ctx, args, streams{in: strings.NewReader(stdin), out: &out, err: &errOut})
	code := exitStatus(err, &errOut)
	return code, out.String(), errOut.String()
}

func TestUsageErrors(t *testing.T) {
	tests := []struct {
		name       string
		args       []string
		wantStderr string
	}{
		{"no command", nil, "probe: no command given\n"},
		{"unknown command", []string{"listen"}, "probe: unknown command \"listen\"\n"},
		{"unknown flag", []string{"serve", "--bogus"}, "flag provided but not defined: -bogus\n"},
		{"stray argument", []string{"version", "now"}, "probe: version: unexpected argument \"now\"\n"},
		{"serve without identity", []string{"serve", "--ports", "80"}, "probe: serve: --identity is required\n"},
		{"serve with bad ports", []string{"serve", "--identity", "x/a", "--ports", "80,ssh"},
			"probe: serve: --ports: port \"ssh\": port number must be 1-65535, not \"ssh\"\n"},
		{"serve without ports", []string{"serve", "--identity", "x/a"}, "probe: serve: --ports: no ports given\n"},
		{"serve on port 0", []string{"serve", "--identity", "x/a", "--ports", "0/TCP"},
			"probe: serve: --ports: port \"0/TCP\": port number must be 1-65535, not \"0\"\n"},
		{"connect without target", []string{"connect", "--port", "80"}, "probe: connect: give --to and --port, or --batch\n"},
		{"connect with port out of range", []string{"connect", "--to", "127.0.0.1", "--port", "70000"}, "probe: connect: --port must be 1-65535, not 70000\n"},
		{"batch with a job flag", []string{"connect", "--batch", "--to", "10.0.0.1"}, "probe: connect: --to describes one job; with --batch the jobs come on stdin\n"},
		{"concurrency without batch", []string{"connect", "--to", "10.0.0.1", "--port", "80", "--concurrency", "4"}, "probe: connect: --concurrency needs --batch\n"},
		{"zero concurrency", []string{"connect", "--batch", "--concurrency", "0"}, "probe: connect: --concurrency must be at least 1, not 0\n"},
		{"hold without target", []string{"hold", "--port", "80"}, "probe: hold: give --to and a --port of 1-65535\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, stderr := runCommand(t, context.Background(), "", tt.args...)
			if code != exitUsage {
				t.Errorf("exit status = %d, want %d", code, exitUsage)
			}
			if !strings.HasSuffix(stderr, tt.wantStderr) && !strings.HasPrefix(stderr, tt.wantStderr) {
				t.Errorf("stderr = %q, want it to start or end with %q", stderr, tt.wantStderr)
			}
			if out != "" {
				t.Errorf("stdout = %q, want nothing", out)
			}
		})
	}
}

func TestHelp(t *testing.T) {
	for _, args := range [][]string{{"help"}, {"--help"}, {"connect", "-h"}} {
		if code, _, _ := runCommand(t, context.Background(), "", args...); code != 0 {
			t.Errorf("%q: exit status %d, want 0", args, code)
		}
	}
}

func TestVersion(t *testing.T) {
	code, out, _ := runCommand(t, context.Background(), "", "version")
	if code != 0 || !strings.HasPrefix(out, "probe (devel) go") || !strings.HasSuffix(out, "\n") {
		t.Errorf("version = %d, %q; want 0, \"probe (devel) go...\"", code, out)
	}
}

func TestConnectOne(t *testing.T) {
	srv, err := probes.Serve(context.Background(), "x/a", []probes.PortSpec{{Port: 0, Protocol: probes.TCP}})
	if err != nil {
		t.Fatalf("Serve: %v", err)
	}
	defer srv.Close()
	port := fmt.Sprint(srv.Ports()[0].Port)
	tests := []struct {
		name      string
		args      []string
		wantCode  int
		wantStart string
	}{
		{"allowed", []string{"--to", "127.0.0.1", "--port", port, "--expect", "x/a"}, exitAllowed, "allowed 127.0.0.1:" + port + "/TCP: answered x/a ("},
		{"wrong identity", []string{"--to", "127.0.0.1", "--port", port, "--expect", "x/b"}, exitError, "error 127.0.0.1:" + port + "/TCP: wrong identity: x/a answered, expected x/b ("},
		{"bad host", []string{"--to", "pod-a", "--port", port}, exitError, "error pod-a:" + port + "/TCP: bad job: host \"pod-a\" is not an IP address ("},
		{"refused over udp", []string{"--to", "127.0.0.1", "--port", port, "--protocol", "UDP", "--timeout", "500ms"}, exitBlocked, "blocked 127.0.0.1:" + port + "/UDP: reply: refused: connection refused ("},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, stderr := runCommand(t, context.Background(), "", append([]string{"connect"}, tt.args...)...)
			if code != tt.wantCode || !strings.HasPrefix(out, tt.wantStart) || !strings.HasSuffix(out, ")\n") {
				t.Errorf("connect = %d, %q; want %d, %q...", code, out, tt.wantCode, tt.wantStart)
			}
			if stderr != "" {
				t.Errorf("stderr = %q, want nothing: the outcome is on stdout", stderr)
			}
		})
	}
}

func TestConnectBatchInProcess(t *testing.T) {
	t.Run("bad input", func(t *testing.T) {
		code, out, stderr := runCommand(t, context.Background(), `[{"hots":"10.0.0.1"}]`, "connect", "--batch")
		if code != exitUsage || out != "" || stderr != "probe: connect: decode job 1: json: unknown field \"hots\"\n" {
			t.Errorf("connect --batch = %d, %q, %q", code, out, stderr)
		}
	})
	t.Run("empty", func(t *testing.T) {
		code, out, _ := runCommand(t, context.Background(), "", "connect", "--batch")
		if code != 0 || out != "[]\n" {
			t.Errorf("connect --batch with no jobs = %d, %q; want 0, %q", code, out, "[]\n")
		}
	})
}
