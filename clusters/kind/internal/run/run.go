package run

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
)

// Command is one program to run.
type Command struct {
	// Dir is the working directory; empty means the current one.
	Dir string
	// Env is added to the process environment.
	Env   []string
	Stdin io.Reader
	Name  string
	Args  []string
}

// Error is a command that failed, with what it printed.
type Error struct {
	Command string
	Output  string
	Err     error
}

// Error tells the command, why it failed and the end of its output.
func (e *Error) Error() string {
	out := LastLines(e.Output, 20)
	if out == "" {
		return fmt.Sprintf("%s: %v", e.Command, e.Err)
	}
	return fmt.Sprintf("%s: %v\n%s", e.Command, e.Err, out)
}

// Unwrap gives the underlying failure, such as an *exec.ExitError.
func (e *Error) Unwrap() error { return e.Err }

// String is the command line as it would be typed.
func (c Command) String() string {
	return strings.TrimSpace(c.Name + " " + strings.Join(c.Args, " "))
}

// Output runs the command and returns its standard output; standard error is
// kept for the error only. The command line goes to log first when log is not nil.
func (c Command) Output(ctx context.Context, log io.Writer) (string, error) {
	if log != nil {
		fmt.Fprintf(log, "+ %s\n", c)
	}
	cmd := exec.CommandContext(ctx, c.Name, c.Args...)
	cmd.Dir = c.Dir
	if len(c.Env) > 0 {
		cmd.Env = append(os.Environ(), c.Env...)
	}
	cmd.Stdin = c.Stdin
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return stdout.String(), &Error{Command: c.String(), Output: stderr.String() + stdout.String(), Err: err}
	}
	return stdout.String(), nil
}

// Docker runs one docker command and returns its output without the final newline.
func Docker(ctx context.Context, log io.Writer, args ...string) (string, error) {
	out, err := Command{Name: "docker", Args: args}.Output(ctx, log)
	return strings.TrimSpace(out), err
}

// LastLines keeps the end of a long output, where the reason usually is.
func LastLines(s string, n int) string {
	s = strings.TrimRight(s, "\n")
	if s == "" {
		return ""
	}
	lines := strings.Split(s, "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
