package probes

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"time"
)

// Run carries out one job and classifies what happened; it never returns
// Skipped. It is Start followed by Finish: the socket is created on the
// calling goroutine's OS thread before Run blocks, so a caller that locked its
// thread and entered a network namespace probes from that namespace.
func Run(ctx context.Context, job Job) Result {
	if job.Name != "" {
		return runByName(ctx, job, ResolvConf)
	}
	return Start(ctx, job).Finish(ctx)
}

// target is a validated job.
type target struct {
	addr     netip.AddrPort
	protocol string
	timeout  time.Duration
}

// parseTarget checks a job. Host must be an IP address: resolving a name would
// run on other threads, outside the caller's network namespace, and would test
// DNS rather than policy.
func parseTarget(job Job) (target, error) {
	addr, err := netip.ParseAddr(job.Host)
	if err != nil {
		return target{}, fmt.Errorf("host %q is not an IP address", job.Host)
	}
	if addr.Zone() != "" {
		return target{}, fmt.Errorf("host %q has a zone; pod and host addresses have none", job.Host)
	}
	if job.Port < 1 || job.Port > 65535 {
		return target{}, fmt.Errorf("port must be 1-65535, not %d", job.Port)
	}
	protocol := TCP // Kubernetes' default when a port names no protocol
	if job.Protocol != "" {
		if protocol, err = normalizeProtocol(job.Protocol); err != nil {
			return target{}, err
		}
	}
	timeout := job.Timeout
	switch {
	case timeout < 0:
		return target{}, fmt.Errorf("timeout %s is negative", timeout)
	case timeout == 0:
		timeout = DefaultTimeout
	}
	return target{addr: netip.AddrPortFrom(addr.Unmap(), uint16(job.Port)), protocol: protocol, timeout: timeout}, nil
}

// judge compares the identity that answered with the one expected. A wrong
// identity means the address does not lead to the pod the runner thinks, which
// is a broken test, not a policy verdict.
func judge(identity, expect string) (Outcome, string) {
	switch {
	case identity == "":
		return Error, "reply: empty identity"
	case expect != "" && identity != expect:
		return Error, fmt.Sprintf("wrong identity: %s answered, expected %s", identity, expect)
	default:
		return Allowed, "answered " + identity
	}
}

// phaseError names the step of the exchange that failed, for the detail.
type phaseError struct {
	phase string
	err   error
}

func (e *phaseError) Error() string { return e.phase + ": " + e.err.Error() }
func (e *phaseError) Unwrap() error { return e.err }

func inPhase(phase string, err error) error {
	if err == nil {
		return nil
	}
	return &phaseError{phase: phase, err: err}
}

// errNoAnswer is a stream that closed without sending an identity.
var errNoAnswer = errors.New("connection closed without an answer")
