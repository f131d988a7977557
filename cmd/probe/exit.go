package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
)

// Exit statuses. connect with one job exits with its outcome, so that a
// reproduce command reads at a glance in a shell.
const (
	exitAllowed = 0
	exitBlocked = 1
	exitUsage   = 2
	exitError   = 3
)

// exitCodeError carries an exit status. With a nil err it is silent: the command
// has already said what happened (a blocked probe is not a failure to report).
type exitCodeError struct {
	code int
	err  error
}

func (e *exitCodeError) Error() string {
	if e.err == nil {
		return fmt.Sprintf("exit status %d", e.code)
	}
	return e.err.Error()
}

func (e *exitCodeError) Unwrap() error { return e.err }

// usageErrorf reports bad flags or arguments: exit status 2, as flag does.
func usageErrorf(format string, args ...any) error {
	return &exitCodeError{code: exitUsage, err: fmt.Errorf(format, args...)}
}

// exitStatus prints err, if it has something to say, and picks the status:
// failures without a status of their own exit 3, like a probe error.
func exitStatus(err error, stderr io.Writer) int {
	if err == nil || errors.Is(err, flag.ErrHelp) {
		return 0
	}
	code := exitError
	var coded *exitCodeError
	if errors.As(err, &coded) {
		code = coded.code
		if coded.err == nil {
			return code
		}
	}
	fmt.Fprintf(stderr, "probe: %v\n", err)
	return code
}
