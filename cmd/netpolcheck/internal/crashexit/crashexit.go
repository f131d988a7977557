package crashexit

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"runtime"
	"runtime/debug"
	"syscall"
	"time"
)

// Internal is the exit code of a run that crashed: EX_SOFTWARE of sysexits.h.
const Internal = 70

// childEnv marks the child, whose crash pipe is file descriptor 3.
const childEnv = "NETPOLCHECK_CRASH_PIPE"

// Run runs main in a child process of the same executable and arguments and
// returns the exit code to use: main's own, or Internal when the child's
// runtime reported a crash. In the child it runs main directly. Signals the
// parent receives are passed on, so the child can clean up as it would alone.
func Run(main func() int) int {
	if os.Getenv(childEnv) == "1" {
		if err := debug.SetCrashOutput(os.NewFile(3, "crash-pipe"), debug.CrashOptions{}); err != nil {
			fmt.Fprintf(os.Stderr, "netpolcheck: crash report pipe: %v\n", err)
		}
		return main()
	}
	code, err := supervise()
	if err != nil {
		fmt.Fprintf(os.Stderr, "netpolcheck: internal error: %v\n", err)
		return Internal
	}
	return code
}

func supervise() (int, error) {
	self, err := os.Executable()
	if err != nil {
		return 0, fmt.Errorf("find own executable: %w", err)
	}
	r, w, err := os.Pipe()
	if err != nil {
		return 0, fmt.Errorf("crash report pipe: %w", err)
	}
	defer r.Close()
	cmd := exec.Command(self, os.Args[1:]...)
	cmd.Args[0] = os.Args[0]
	cmd.Env = append(os.Environ(), childEnv+"=1")
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	cmd.ExtraFiles = []*os.File{w}
	// A parent killed outright (SIGKILL) takes the child with it, so that
	// killing netpolcheck kills the run, as it did before there were two
	// processes. The death signal follows the thread that started the
	// child, so that thread stays locked to this goroutine until the end.
	runtime.LockOSThread()
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}

	// Catch the signals before starting, so none is lost in between.
	sigs := make(chan os.Signal, 4)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP, syscall.SIGQUIT)
	defer signal.Stop(sigs)
	if err := cmd.Start(); err != nil {
		w.Close()
		return 0, fmt.Errorf("start: %w", err)
	}
	w.Close()
	crashed := make(chan bool, 1)
	go func() {
		// The child's runtime writes here only when it crashes. Reading all
		// the time keeps a long crash report from blocking the child.
		n, _ := io.Copy(io.Discard, r)
		crashed <- n > 0
	}()
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	for {
		select {
		case s := <-sigs:
			_ = cmd.Process.Signal(s)
		case err := <-done:
			// The report is written before the child exits, so it is in the
			// pipe now; a process the child started may still hold the pipe
			// open, so the reader gets a deadline instead of waiting for EOF.
			_ = r.SetReadDeadline(time.Now().Add(200 * time.Millisecond))
			if <-crashed {
				return Internal, nil
			}
			var exit *exec.ExitError
			if errors.As(err, &exit) {
				if st, ok := exit.Sys().(syscall.WaitStatus); ok && st.Signaled() {
					return 128 + int(st.Signal()), nil
				}
				return exit.ExitCode(), nil
			}
			if err != nil {
				return 0, err
			}
			return 0, nil
		}
	}
}
