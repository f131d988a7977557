package probes

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"sync"
	"time"

	"golang.org/x/sys/unix"
)

// Started is a probe split in two: Start has made its socket and begun the
// connection, Finish waits for the answer and classifies it. Only Start needs
// the source's network namespace, since a socket belongs to the namespace it
// was made in whatever thread later uses it; so a caller can enter a
// namespace once, start many probes, leave, and wait for all of them on
// ordinary goroutines instead of holding a locked thread per probe.
type Started struct {
	job   Job
	began time.Time
	// monotonic is began on CLOCK_MONOTONIC, the clock drop logs keep.
	monotonic time.Duration
	target    target
	// outcome and detail are set when Start already decided: a bad job or
	// an interrupted one. Then there is no socket.
	outcome Outcome
	detail  string
	// startErr is why the socket could not be made or connected; Finish
	// classifies it as it would a failure while waiting.
	startErr error
	// fd is the socket Start made and connected, until Finish hands it to
	// the runtime's poller as file; -1 when there is none. Only a socket
	// with something to wait for goes to the poller: one whose drop is
	// logged already is closed as it is.
	fd   int
	file *os.File
}

// Start checks the job and, unless it is bad or ctx is already done, creates
// the probe's socket on the calling goroutine's OS thread and starts the
// connection, without waiting for anything. The job's timeout counts from
// here. When ctx is done Start opens no socket at all. Every Started must be
// finished with Finish or released with Close, or its socket stays open.
func Start(ctx context.Context, job Job) *Started {
	s := &Started{job: job, began: time.Now(), fd: -1}
	t, err := parseTarget(job)
	if err != nil {
		s.outcome, s.detail = Error, "bad job: "+err.Error()
		return s
	}
	s.target = t
	if err := ctx.Err(); err != nil {
		s.outcome, s.detail = Error, "interrupted before starting: "+err.Error()
		return s
	}
	s.monotonic = monotonicNow()
	switch t.protocol {
	case TCP:
		s.fd, s.startErr = connectStream(unix.IPPROTO_TCP, t.addr)
	case SCTP:
		s.fd, s.startErr = connectStream(ipprotoSCTP, t.addr)
	case UDP:
		s.fd, s.startErr = connectDatagram(t.addr)
	}
	return s
}

// Finish waits for the connection Start began, exchanges request and
// identity, classifies what happened and closes the socket; it may run on
// any goroutine. It waits at most until the job's timeout, counted from
// Start, or until ctx ends, which makes the result an Error. Call it once: a
// second call, or one after Close, finds the socket gone and returns an
// Error saying so (a probe that never had a socket repeats its result).
func (s *Started) Finish(ctx context.Context) Result {
	return s.FinishWatched(ctx, nil)
}

// A DropWatch lets a probe end before its timeout when the network reports
// that it dropped one of the probe's packets. It arranges for dropped to be
// called once a packet from local to the job's destination (after any
// Service translation) is known dropped, possibly before DropWatch returns,
// and returns a function that stops watching. A network that keeps a drop
// log (the local cluster's reference enforcer) can give one; a logged drop
// of this very socket's packet is the verdict a timeout only stands in for,
// so nothing is guessed by ending early.
//
// started is when the probe's socket was about to be made, on
// CLOCK_MONOTONIC: a drop before it was another socket's that had the same
// ports.
type DropWatch func(job Job, local netip.AddrPort, started time.Duration, dropped func()) (stop func())

// FinishWatched is Finish that also ends, as Dropped, as soon as watch
// reports a drop of the probe's packets; with a nil watch it is Finish. An
// answer that came in spite of a reported drop still counts as the answer.
func (s *Started) FinishWatched(ctx context.Context, watch DropWatch) Result {
	outcome, detail, blocked := s.finish(ctx, watch)
	_ = s.Close()
	return Result{Job: s.job, Outcome: outcome, Blocked: blocked, Detail: detail, Elapsed: time.Since(s.began)}
}

// noSocket is the detail of a Started whose socket is gone before Finish:
// Finish ran already or Close released it.
const noSocket = "probe finished or closed already"

func (s *Started) finish(ctx context.Context, watch DropWatch) (Outcome, string, Block) {
	if s.outcome != "" {
		return s.outcome, s.detail, ""
	}
	if s.startErr != nil {
		return classify(ctx, ctx, s.target, s.startErr)
	}
	if s.fd < 0 {
		return Error, noSocket, ""
	}
	drop := &dropSignal{}
	if watch != nil && s.monotonic > 0 {
		if local, ok := s.localAddr(); ok {
			defer watch(s.job, local, s.monotonic, drop.fire)()
		}
	}
	firstPhase := "connect"
	if s.target.protocol == UDP {
		firstPhase = "reply" // a datagram has no connection; its request went unanswered
	}
	if drop.seen() {
		return Blocked, droppedDetail(firstPhase, s.began), Dropped
	}
	s.file = os.NewFile(uintptr(s.fd), s.target.protocol+" "+s.target.addr.String())
	s.fd = -1
	probeCtx, cancel := context.WithDeadline(ctx, s.began.Add(s.target.timeout))
	defer cancel()
	drop.arm(cancel)
	var identity string
	var err error
	if s.target.protocol == UDP {
		identity, err = finishDatagram(probeCtx, s.file, s.job.From)
	} else {
		identity, err = finishStream(probeCtx, s.file, s.job.From)
	}
	if err != nil {
		if drop.seen() && ctx.Err() == nil {
			return Blocked, droppedDetail(phaseOf(err), s.began), Dropped
		}
		return classify(ctx, probeCtx, s.target, err)
	}
	outcome, detail := judge(identity, s.job.Expect)
	return outcome, detail, ""
}

func droppedDetail(phase string, began time.Time) string {
	return fmt.Sprintf("%s: dropped: the network logged the drop after %s", phase, time.Since(began).Round(time.Microsecond))
}

// dropSignal carries a DropWatch's report to a probe that may not wait
// yet: a report before arm is seen, one after it cancels the wait.
type dropSignal struct {
	mu      sync.Mutex
	dropped bool
	cancel  context.CancelFunc
}

func (d *dropSignal) fire() {
	d.mu.Lock()
	d.dropped = true
	cancel := d.cancel
	d.mu.Unlock()
	if cancel != nil {
		cancel()
	}
}

func (d *dropSignal) seen() bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.dropped
}

func (d *dropSignal) arm(cancel context.CancelFunc) {
	d.mu.Lock()
	d.cancel = cancel
	dropped := d.dropped
	d.mu.Unlock()
	if dropped {
		cancel()
	}
}

// localAddr is the address and port the probe's socket sends from, which
// the kernel chose when Start connected it.
func (s *Started) localAddr() (netip.AddrPort, bool) {
	sa, err := unix.Getsockname(s.fd)
	if err != nil {
		return netip.AddrPort{}, false
	}
	switch sa := sa.(type) {
	case *unix.SockaddrInet4:
		return netip.AddrPortFrom(netip.AddrFrom4(sa.Addr), uint16(sa.Port)), true
	case *unix.SockaddrInet6:
		return netip.AddrPortFrom(netip.AddrFrom16(sa.Addr).Unmap(), uint16(sa.Port)), true
	}
	return netip.AddrPort{}, false
}

// Close releases the socket of a probe that will not be finished. It may be
// called after Finish, and more than once; only the first call closes.
func (s *Started) Close() error {
	var err error
	if s.file != nil {
		err = s.file.Close()
		s.file = nil
	}
	if s.fd >= 0 {
		err = unix.Close(s.fd)
		s.fd = -1
	}
	// Finish's timeout may have closed the socket already, to wake a waiter.
	if errors.Is(err, os.ErrClosed) || errors.Is(err, net.ErrClosed) {
		return nil
	}
	return err
}

// monotonicNow reads CLOCK_MONOTONIC, which Go's time keeps to itself;
// zero if it cannot, and then no drop may end the probe: every drop would
// seem to be its own.
func monotonicNow() time.Duration {
	var ts unix.Timespec
	if unix.ClockGettime(unix.CLOCK_MONOTONIC, &ts) != nil {
		return 0
	}
	return time.Duration(ts.Nano())
}
