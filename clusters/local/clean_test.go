package local

import (
	"bufio"
	"context"
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"

	"github.com/netpolcheck/netpolcheck/probes"
	"github.com/netpolcheck/netpolcheck/scenarios"
)

// TestIntegrationCleanAfterKill kills a process in the middle of a run and
// proves Clean(false) removes what it left, and nothing while it lived.
func TestIntegrationCleanAfterKill(t *testing.T) {
	needRoot(t)
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), childEnv+"=1")
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	waited := false
	t.Cleanup(func() {
		// On an early failure the child still runs: closing stdin makes it tear down.
		_ = stdin.Close()
		if !waited {
			_ = cmd.Wait()
		}
	})
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		t.Fatalf("child printed no run ID: %v", err)
	}
	run, ok := strings.CutPrefix(strings.TrimSpace(line), "run ")
	if !ok {
		t.Fatalf("child printed %q, want run <id>", line)
	}
	want := []string{"npc-" + run + "-0-0", "npc-" + run + "-0-1", "npc-" + run + "-0-2", "npc-" + run + "-0-node"}
	if got := runNetns(t, run); !slices.Equal(got, want) {
		t.Fatalf("child's namespaces = %v, want %v", got, want)
	}

	removed, err := Clean(context.Background(), false)
	if err != nil {
		t.Fatalf("Clean while the child lives: %v", err)
	}
	if ours := ofRun(removed, run); len(ours) > 0 {
		t.Errorf("Clean removed a live run's %v", ours)
	}
	if got := runNetns(t, run); !slices.Equal(got, want) {
		t.Fatalf("child's namespaces after Clean = %v, want %v", got, want)
	}

	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	waited = true
	if err := cmd.Wait(); err == nil || !strings.Contains(err.Error(), "killed") {
		t.Fatalf("child exit = %v, want killed", err)
	}
	removed, err = Clean(context.Background(), false)
	if err != nil {
		t.Fatalf("Clean after the kill: %v", err)
	}
	wantRemoved := append(want, hostPaths.registration(run))
	if got := ofRun(removed, run); !slices.Equal(got, wantRemoved) {
		t.Errorf("Clean removed %v of the dead run, want %v", got, wantRemoved)
	}
	if got := runNetns(t, run); len(got) != 0 {
		t.Errorf("namespaces left after Clean: %v", got)
	}
	if _, err := os.Stat(hostPaths.registration(run)); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("registration left after Clean: %v", err)
	}
}

// ofRun keeps the removed items that belong to run.
func ofRun(removed []string, run string) []string {
	var out []string
	for _, r := range removed {
		if strings.Contains(r, run) {
			out = append(out, r)
		}
	}
	return out
}

// TestIntegrationCleanKinds runs Clean on private directories, so that it can
// show every kind of leftover and the all flag without touching other runs.
func TestIntegrationCleanKinds(t *testing.T) {
	needRoot(t)
	p := tempPaths(t)
	b, err := newBackend(Options{RunID: "live1"}, p)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = b.Close(context.Background()) }) // for early failures; the test closes it itself
	c := setUp(t, b, testWorld([]string{"x"}, 1, 0))
	mustDo(t, os.MkdirAll(p.clusterPinDir("live1", 0), 0o755))
	mustDo(t, createNetns(p.netns("npc-orphan-0-node")))
	mustDo(t, os.MkdirAll(p.pinDir("orphan"), 0o755))
	mustDo(t, os.WriteFile(p.registration("dead1"), []byte(`{"pid":1073741824,"procStart":1}`), 0o644))
	mustDo(t, os.WriteFile(p.netns("cni-foreign"), nil, 0o444))

	removed, err := clean(context.Background(), p, false)
	if err != nil {
		t.Fatalf("clean: %v", err)
	}
	want := []string{"npc-orphan-0-node", p.pinDir("orphan"), p.registration("dead1")}
	if !slices.Equal(removed, want) {
		t.Errorf("clean(false) removed %v, want %v", removed, want)
	}
	res, err := c.Probe(context.Background(), []probes.Job{job("x/a", "x/a", "192.168.1.1", 80, scenarios.TCP)})
	if err != nil || res[0].Outcome != probes.Allowed {
		t.Errorf("live run's pod after clean(false): %+v, %v; want allowed", res, err)
	}

	removed, err = clean(context.Background(), p, true)
	if err != nil {
		t.Fatalf("clean all: %v", err)
	}
	want = []string{"npc-live1-0-0", "npc-live1-0-node", p.pinDir("live1"), p.registration("live1")}
	if !slices.Equal(removed, want) {
		t.Errorf("clean(true) removed %v, want %v", removed, want)
	}
	if left, _ := listDir(p.NetnsDir); !slices.Equal(left, []string{"cni-foreign"}) {
		t.Errorf("netns dir holds %v, want only the foreign cni-foreign", left)
	}
	if err := b.Close(context.Background()); err != nil {
		t.Errorf("Close after clean(true): %v", err)
	}
	if left, _ := listDir(p.RegistryDir); len(left) != 0 {
		t.Errorf("registry dir holds %v after Close", left)
	}
}

// TestIntegrationTeardownRemovesPins proves a cluster's BPF pin directory
// goes at Teardown and the run's at Close, whatever an enforcer left there.
func TestIntegrationTeardownRemovesPins(t *testing.T) {
	needRoot(t)
	p := tempPaths(t)
	b, err := newBackend(Options{}, p)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = b.Close(context.Background()) }) // for early failures
	c := setUp(t, b, testWorld([]string{"x"}, 1, 0))
	other := setUp(t, b, testWorld([]string{"x"}, 1, 0))
	for _, dir := range []string{c.node.PinDir, other.node.PinDir} {
		mustDo(t, os.MkdirAll(filepath.Join(dir, "maps"), 0o755))
	}
	mustDo(t, c.Teardown(context.Background()))
	if _, err := os.Stat(c.node.PinDir); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("pin dir %s after Teardown: %v", c.node.PinDir, err)
	}
	if _, err := os.Stat(other.node.PinDir); err != nil {
		t.Errorf("other cluster's pin dir after Teardown: %v", err)
	}
	mustDo(t, b.Close(context.Background()))
	if left, _ := listDir(p.PinRoot); len(left) != 0 {
		t.Errorf("pin root holds %v after Close", left)
	}
}

func mustDo(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
