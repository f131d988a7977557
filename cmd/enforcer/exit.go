package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
)

// Exit statuses: 2 for bad flags, as the flag package has it, 1 for a
// daemon that could not start or stopped on an error.
const (
	exitFailure = 1
	exitUsage   = 2
)

// usageError is a problem with the command line; flag has already printed
// its own message and the flag list when err is nil.
type usageError struct{ err error }

func (e *usageError) Error() string {
	if e.err == nil {
		return "bad flags"
	}
	return e.err.Error()
}

func (e *usageError) Unwrap() error { return e.err }

// exitStatus prints err, if there is something to add, and picks the status.
func exitStatus(err error, stderr io.Writer) int {
	if err == nil || errors.Is(err, flag.ErrHelp) {
		return 0
	}
	var usage *usageError
	if errors.As(err, &usage) {
		if usage.err != nil {
			fmt.Fprintf(stderr, "enforcer: %v\n", usage.err)
		}
		return exitUsage
	}
	fmt.Fprintf(stderr, "enforcer: %v\n", err)
	return exitFailure
}
