package app

import (
	"errors"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/netpolcheck/netpolcheck/clusters/kind"
	"github.com/netpolcheck/netpolcheck/scenarios"
)

// Exit codes, as documented in the README.
const (
	ExitOK       = 0
	ExitFailed   = 1
	ExitBadInput = 2
)

// exitError carries an exit code out of a command without printing twice.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

// failed is returned by commands whose run completed but found failures: the
// reports already said what failed, so Main prints nothing more.
var failed = &exitError{code: ExitFailed, err: errors.New("expectations failed")}

// badInput marks an error as the user's input being wrong.
func badInput(format string, args ...any) error {
	return &exitError{code: ExitBadInput, err: fmt.Errorf(format, args...)}
}

// streams are where commands write: results to Out, progress and errors to Err.
type streams struct {
	Out, Err io.Writer
}

// Main runs the command line and returns the process exit code.
func Main(args []string, stdout, stderr io.Writer) int {
	s := streams{Out: stdout, Err: stderr}
	root := newRootCommand(s)
	root.SetArgs(args)
	root.SetOut(stdout)
	root.SetErr(stderr)
	err := root.Execute()
	if err == nil {
		return ExitOK
	}
	var ee *exitError
	if errors.As(err, &ee) && ee == failed {
		return ExitFailed
	}
	fmt.Fprintf(stderr, "netpolcheck: %v\n", err)
	var ie *scenarios.InputError
	var ke *kind.InputError
	switch {
	case errors.As(err, &ee):
		return ee.code
	case errors.As(err, &ie), errors.As(err, &ke):
		return ExitBadInput
	case isFlagError(err):
		return ExitBadInput
	}
	return ExitFailed
}

func newRootCommand(s streams) *cobra.Command {
	root := &cobra.Command{
		Use:           "netpolcheck",
		Short:         "Check that a cluster enforces Kubernetes NetworkPolicy exactly as the API defines it",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return &flagError{err} })
	root.AddCommand(
		newSimulateCommand(s),
		newRunCommand(s),
		newCertifyCommand(s),
		newKindCommand(s),
		newExplainCommand(s),
		newListCommand(s),
		newGenerateCommand(s),
		newReportCommand(s),
		newCleanCommand(s),
		newVersionCommand(s),
	)
	return root
}

// flagError marks cobra's flag parsing failures as bad input.
type flagError struct{ err error }

func (e *flagError) Error() string { return e.err.Error() }
func (e *flagError) Unwrap() error { return e.err }

func isFlagError(err error) bool {
	var fe *flagError
	if errors.As(err, &fe) {
		return true
	}
	// cobra reports unknown commands and wrong argument counts as plain errors.
	msg := err.Error()
	for _, prefix := range []string{"unknown command", "unknown flag", "unknown shorthand", "accepts ", "requires at least", "invalid argument"} {
		if len(msg) >= len(prefix) && msg[:len(prefix)] == prefix {
			return true
		}
	}
	return false
}
