package app

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/netpolcheck/netpolcheck/internal/testenv"
)

// namespacesOf lists the /run/netns entries whose name starts with prefix.
func namespacesOf(t *testing.T, prefix string) []string {
	t.Helper()
	entries, err := os.ReadDir("/run/netns")
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	var out []string
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), prefix) {
			out = append(out, e.Name())
		}
	}
	return out
}

// childrenOf lists pid's child processes.
func childrenOf(pid int) []int {
	var out []int
	tasks, _ := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/children", pid))
	for _, task := range tasks {
		b, _ := os.ReadFile(task)
		for _, f := range strings.Fields(string(b)) {
			if n, err := strconv.Atoi(f); err == nil {
				out = append(out, n)
			}
		}
	}
	return out
}

// runPrefixOf finds the namespace prefix "npc-<run>-" of the run registered
// by pid or, since netpolcheck runs its work in a child process that watches
// for crashes, by a child of pid.
func runPrefixOf(t *testing.T, pid int) string {
	t.Helper()
	for _, child := range childrenOf(pid) {
		if p := registeredPrefix(child); p != "" {
			return p
		}
	}
	return registeredPrefix(pid)
}

func registeredPrefix(pid int) string {
	files, _ := filepath.Glob("/run/netpolcheck/*.json")
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		var reg struct {
			RunID string `json:"runID"`
			PID   int    `json:"pid"`
		}
		if json.Unmarshal(b, &reg) == nil && reg.PID == pid && reg.RunID != "" {
			return "npc-" + reg.RunID + "-"
		}
	}
	return ""
}

// A run killed with SIGKILL leaves its namespaces behind; `netpolcheck clean`
// removes exactly those and leaves a live run alone.
func TestIntegrationCleanAfterKilledRun(t *testing.T) {
	testenv.NeedRoot(t, "runs netpolcheck on the local cluster, which creates network namespaces")
	bin := filepath.Join(t.TempDir(), "netpolcheck")
	build := exec.Command("go", "build", "-o", bin, "..")
	build.Stderr = os.Stderr
	if err := build.Run(); err != nil {
		t.Fatal(err)
	}
	// Without an enforcer the mismatches keep the run re-probing for --converge: long enough to kill it mid-run.
	run := exec.Command(bin, "run", "-q", "--enforcer", "none", "--focus", "^upstream-default-deny-ingress$", "--converge", "60s")
	if err := run.Start(); err != nil {
		t.Fatal(err)
	}
	// The run registers itself with its PID; its namespaces carry its run ID.
	var prefix string
	deadline := time.Now().Add(30 * time.Second)
	for prefix == "" && time.Now().Before(deadline) {
		time.Sleep(100 * time.Millisecond)
		prefix = runPrefixOf(t, run.Process.Pid)
	}
	if prefix == "" {
		_ = run.Process.Kill()
		t.Fatal("the run did not register within 30s")
	}
	deadline = time.Now().Add(30 * time.Second)
	for len(namespacesOf(t, prefix)) < 10 && time.Now().Before(deadline) {
		time.Sleep(100 * time.Millisecond) // a node and 9 pods
	}
	if err := run.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = run.Wait()
	if left := namespacesOf(t, prefix); len(left) < 10 {
		t.Fatalf("the killed run left %v, want its node and 9 pod namespaces", left)
	}
	out, err := exec.Command(bin, "clean").CombinedOutput()
	if err != nil {
		t.Fatalf("clean: %v: %s", err, out)
	}
	if left := namespacesOf(t, prefix); len(left) > 0 {
		t.Errorf("namespaces %v of the killed run are still there after clean; clean said: %s", left, out)
	}
	if !strings.Contains(string(out), "removed") {
		t.Errorf("clean did not report what it removed: %s", out)
	}
}

// SIGINT and SIGTERM stop a run cleanly: everything it created is removed.
func TestIntegrationSignalsTearDown(t *testing.T) {
	testenv.NeedRoot(t, "runs netpolcheck on the local cluster, which creates network namespaces")
	bin := filepath.Join(t.TempDir(), "netpolcheck")
	if out, err := exec.Command("go", "build", "-o", bin, "..").CombinedOutput(); err != nil {
		t.Fatalf("build: %v: %s", err, out)
	}
	for _, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGTERM} {
		t.Run(sig.String(), func(t *testing.T) {
			run := exec.Command(bin, "run", "-q", "--enforcer", "none", "--focus", "^upstream-default-deny-ingress$", "--converge", "60s")
			if err := run.Start(); err != nil {
				t.Fatal(err)
			}
			var prefix string
			deadline := time.Now().Add(30 * time.Second)
			for (prefix == "" || len(namespacesOf(t, prefix)) < 10) && time.Now().Before(deadline) {
				time.Sleep(100 * time.Millisecond)
				if prefix == "" {
					prefix = runPrefixOf(t, run.Process.Pid)
				}
			}
			if prefix == "" {
				_ = run.Process.Kill()
				t.Fatal("the run did not register within 30s")
			}
			if err := run.Process.Signal(sig); err != nil {
				t.Fatal(err)
			}
			done := make(chan error, 1)
			go func() { done <- run.Wait() }()
			select {
			case <-done:
			case <-time.After(30 * time.Second):
				_ = run.Process.Kill()
				t.Fatalf("the run did not stop within 30s of %s", sig)
			}
			if code := run.ProcessState.ExitCode(); code == 0 {
				t.Errorf("an interrupted run exited 0")
			}
			if left := namespacesOf(t, prefix); len(left) > 0 {
				t.Errorf("after %s the run left %v", sig, left)
			}
			if runPrefixOf(t, run.Process.Pid) != "" {
				t.Errorf("after %s the run's registration is still there", sig)
			}
		})
	}
}
