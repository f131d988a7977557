package probes

import (
	"context"
	"errors"
	"fmt"
	"net"
	"syscall"
)

// classify turns a failed exchange into an outcome. Refusals and resets are
// what policy rejects look like and timeouts what drops look like, so both are
// Blocked; everything else means the probe could not say, hence Error.
// parent is the caller's context and probe the one bounded by the job's timeout.
func classify(parent, probe context.Context, t target, err error) (Outcome, string, Block) {
	phase := phaseOf(err)
	if parent.Err() != nil {
		// The caller gave up: the probe did not run its course, so it says nothing.
		return Error, fmt.Sprintf("%s: interrupted: %v", phase, parent.Err()), ""
	}
	var errno syscall.Errno
	if errors.As(err, &errno) {
		switch errno {
		case syscall.ECONNREFUSED:
			return Blocked, phase + ": refused: " + errno.Error(), Refused
		case syscall.ECONNRESET:
			return Blocked, phase + ": reset: " + errno.Error(), Refused
		case syscall.EPIPE:
			// Writing to a held connection after its reset came in.
			return Blocked, phase + ": reset: " + errno.Error(), Refused
		case syscall.ETIMEDOUT:
			return Blocked, phase + ": timed out: " + errno.Error(), Dropped
		case syscall.EHOSTUNREACH, syscall.ENETUNREACH:
			return Error, phase + ": no route: " + errno.Error(), ""
		case syscall.EPROTONOSUPPORT:
			return Error, fmt.Sprintf("%s: kernel has no %s: %v", phase, t.protocol, errno), ""
		default:
			return Error, phase + ": " + errno.Error(), ""
		}
	}
	// The dialer's own deadline can fire a hair before the context's timer,
	// so an i/o timeout counts even while probe.Err() is still nil.
	var netErr net.Error
	if probe.Err() != nil || errors.Is(err, context.DeadlineExceeded) || errors.As(err, &netErr) && netErr.Timeout() {
		return Blocked, fmt.Sprintf("%s: no answer within %s", phase, t.timeout), Dropped
	}
	return Error, err.Error(), ""
}

// phaseOf names the part of the probe that err ended: connect, send, reply.
func phaseOf(err error) string {
	var pe *phaseError
	if errors.As(err, &pe) {
		return pe.phase
	}
	return "probe"
}
