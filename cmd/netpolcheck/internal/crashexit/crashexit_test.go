package crashexit

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// The test binary is its own helper: with helperEnv set, TestMain runs the
// helper under Run instead of the tests, so the real supervisor and a real
// child process are exercised.
const helperEnv = "CRASHEXIT_HELPER"

func TestMain(m *testing.M) {
	switch os.Getenv(helperEnv) {
	case "":
		os.Exit(m.Run())
	case "exit2":
		os.Exit(Run(func() int { return 2 }))
	case "exit0":
		os.Exit(Run(func() int { return 0 }))
	case "panic":
		os.Exit(Run(func() int { panic("a bug") }))
	case "goroutine-panic":
		os.Exit(Run(func() int {
			done := make(chan int)
			go func() { panic("a bug on another goroutine") }()
			return <-done
		}))
	case "hang":
		// Writes its own (the child's) PID, then waits to be killed.
		os.Exit(Run(func() int {
			if err := os.WriteFile(os.Getenv("CRASHEXIT_PIDFILE"), []byte(strconv.Itoa(os.Getpid())), 0o644); err != nil {
				panic(err)
			}
			time.Sleep(time.Hour)
			return 0
		}))
	case "throw":
		// A runtime throw, which no recover can catch.
		os.Exit(Run(func() int {
			m := map[int]int{}
			go func() {
				for {
					m[0]++
				}
			}()
			for {
				m[1]++
			}
		}))
	case "oom":
		// Out of memory for real: an address-space limit in the child, then
		// allocations that are kept until the runtime cannot get more.
		os.Exit(Run(func() int {
			limit := unix.Rlimit{Cur: 1 << 30, Max: 1 << 30}
			if err := unix.Setrlimit(unix.RLIMIT_AS, &limit); err != nil {
				panic(err)
			}
			var kept [][]byte
			for {
				b := make([]byte, 64<<20)
				for i := 0; i < len(b); i += 4096 {
					b[i] = 1
				}
				kept = append(kept, b)
			}
		}))
	}
}

func runHelper(t *testing.T, mode string) (int, string) {
	t.Helper()
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(), helperEnv+"="+mode)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	err := cmd.Run()
	var exit *exec.ExitError
	if err != nil && !errors.As(err, &exit) {
		t.Fatalf("run helper %s: %v", mode, err)
	}
	return cmd.ProcessState.ExitCode(), stderr.String()
}

func TestExitCodes(t *testing.T) {
	for _, tc := range []struct {
		mode, stderr string
		want         int
	}{
		{mode: "exit0", want: 0},
		{mode: "exit2", want: 2},
		{mode: "panic", want: Internal, stderr: "panic: a bug"},
		{mode: "goroutine-panic", want: Internal, stderr: "panic: a bug on another goroutine"},
		{mode: "throw", want: Internal, stderr: "fatal error: concurrent map"},
		{mode: "oom", want: Internal, stderr: "out of memory"},
	} {
		t.Run(tc.mode, func(t *testing.T) {
			got, stderr := runHelper(t, tc.mode)
			if got != tc.want {
				t.Errorf("exit code %d, want %d; stderr:\n%s", got, tc.want, stderr)
			}
			if !strings.Contains(stderr, tc.stderr) {
				t.Errorf("stderr does not say %q:\n%s", tc.stderr, stderr)
			}
		})
	}
}

// Killing the parent outright kills the child: a SIGKILL of netpolcheck must
// not leave its run going on unseen.
func TestParentKilledTakesChild(t *testing.T) {
	pidFile := filepath.Join(t.TempDir(), "pid")
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(), helperEnv+"=hang", "CRASHEXIT_PIDFILE="+pidFile)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var child int
	for deadline := time.Now().Add(10 * time.Second); child == 0 && time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		b, _ := os.ReadFile(pidFile)
		child, _ = strconv.Atoi(string(b))
	}
	if child == 0 || child == cmd.Process.Pid {
		_ = cmd.Process.Kill()
		t.Fatalf("child pid %d (parent %d)", child, cmd.Process.Pid)
	}
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if err := unix.Kill(child, 0); errors.Is(err, unix.ESRCH) {
			return
		}
		// Reaped by init once dead; a zombie still answers kill(0).
		if st, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", child)); err == nil && strings.Contains(string(st), ") Z ") {
			return
		}
	}
	_ = unix.Kill(child, unix.SIGKILL)
	t.Fatalf("child %d outlived its killed parent", child)
}
