package main

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"net"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/netpolcheck/netpolcheck/probes"
)

// buildProbe builds the binary the way a probe image would carry it.
func buildProbe(t *testing.T) string {
	t.Helper()
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("needs the go command to build the probe binary")
	}
	bin := filepath.Join(t.TempDir(), "probe")
	if out, err := exec.Command(goTool, "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// freePort returns a port that was just free for TCP and UDP on all addresses.
func freePort(t *testing.T) int {
	t.Helper()
	for range 20 {
		l, err := net.Listen("tcp4", "0.0.0.0:0")
		if err != nil {
			t.Fatalf("listen: %v", err)
		}
		port := l.Addr().(*net.TCPAddr).Port
		_ = l.Close()
		if c, err := net.ListenPacket("udp4", fmt.Sprintf("0.0.0.0:%d", port)); err == nil {
			_ = c.Close()
			return port
		}
	}
	t.Fatal("found no port free for both TCP and UDP")
	return 0
}

// TestProbeBinary runs the built binary end to end on loopback: serve, a
// batch in both input forms, single-job reproduce commands, and SIGTERM.
func TestProbeBinary(t *testing.T) {
	bin := buildProbe(t)
	port, closed := freePort(t), freePort(t)

	serve := exec.Command(bin, "serve", "--identity", "x/a", "--ports", fmt.Sprintf("%d/TCP,%d/udp", port, port))
	stderr, err := serve.StderrPipe()
	if err != nil {
		t.Fatalf("stderr pipe: %v", err)
	}
	if err := serve.Start(); err != nil {
		t.Fatalf("start serve: %v", err)
	}
	t.Cleanup(func() {
		if serve.ProcessState == nil {
			_ = serve.Process.Kill()
			_ = serve.Wait()
		}
	})
	lines := make(chan string, 4)
	go func() {
		scanner := bufio.NewScanner(stderr)
		for scanner.Scan() {
			lines <- scanner.Text()
		}
		close(lines)
	}()
	wantReady := fmt.Sprintf("probe: serving x/a on %d/TCP,%d/UDP", port, port)
	select {
	case line := <-lines:
		if line != wantReady {
			t.Fatalf("serve said %q, want %q", line, wantReady)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("serve did not report ready within 10s")
	}

	jobs := []probes.Job{
		{From: "y/b", To: "x/a", Host: "127.0.0.1", Port: int32(port), Protocol: "TCP", Expect: "x/a"},
		{From: "y/b", To: "x/a", Host: "127.0.0.3", Port: int32(port), Protocol: "UDP", Expect: "x/a"},
		{From: "y/b", To: "x/c", Host: "127.0.0.1", Port: int32(port), Protocol: "TCP", Expect: "x/c"},
		{From: "y/b", To: "x/a", Host: "127.0.0.1", Port: int32(closed), Protocol: "TCP", Expect: "x/a"},
	}
	want := []struct {
		outcome probes.Outcome
		detail  string
	}{
		{probes.Allowed, "answered x/a"},
		{probes.Allowed, "answered x/a"},
		{probes.Error, "wrong identity: x/a answered, expected x/c"},
		{probes.Blocked, "connect: refused: connection refused"},
	}
	var array bytes.Buffer
	if err := probes.EncodeJobs(&array, jobs); err != nil {
		t.Fatalf("EncodeJobs: %v", err)
	}
	var jsonLines strings.Builder
	for _, line := range strings.Split(strings.Trim(array.String(), "[]\n"), ",\n") {
		jsonLines.WriteString(line + "\n")
	}
	for name, input := range map[string]string{"array": array.String(), "json lines": jsonLines.String()} {
		t.Run("batch "+name, func(t *testing.T) {
			cmd := exec.Command(bin, "connect", "--batch", "--concurrency", "2")
			cmd.Stdin = strings.NewReader(input)
			out, err := cmd.Output()
			if err != nil {
				t.Fatalf("connect --batch: %v", err)
			}
			results, err := probes.DecodeResults(bytes.NewReader(out))
			if err != nil {
				t.Fatalf("decode %q: %v", out, err)
			}
			if len(results) != len(jobs) {
				t.Fatalf("got %d results, want %d", len(results), len(jobs))
			}
			for i, r := range results {
				if r.Job != jobs[i] || r.Outcome != want[i].outcome || r.Detail != want[i].detail {
					t.Errorf("result %d = %+v; want job %+v, %s, %q", i, r, jobs[i], want[i].outcome, want[i].detail)
				}
			}
		})
	}

	t.Run("reproduce commands", func(t *testing.T) {
		wantCodes := []int{exitAllowed, exitAllowed, exitError, exitBlocked}
		for i, job := range jobs {
			err := exec.Command(bin, probes.ConnectArgs(job)...).Run()
			code := 0
			var exitErr *exec.ExitError
			if errors.As(err, &exitErr) {
				code = exitErr.ExitCode()
			} else if err != nil {
				t.Fatalf("run %q: %v", probes.ConnectArgs(job), err)
			}
			if code != wantCodes[i] {
				t.Errorf("probe %s: exit status %d, want %d", strings.Join(probes.ConnectArgs(job), " "), code, wantCodes[i])
			}
		}
	})

	if err := serve.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatalf("SIGTERM: %v", err)
	}
	var rest []string
	for line := range lines {
		rest = append(rest, line)
	}
	if err := serve.Wait(); err != nil {
		t.Errorf("serve after SIGTERM: %v", err)
	}
	if len(rest) != 1 || rest[0] != "probe: stopped serving x/a" {
		t.Errorf("serve's last words = %q, want %q", rest, "probe: stopped serving x/a")
	}
}
