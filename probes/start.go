package probes

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"sync/atomic"
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
	job    Job
	began  time.Time
	target target
	// outcome and detail are set when Start already decided: a bad job or
	// an interrupted one. Then there is no socket.
	outcome Outcome
	detail  string
	// startErr is why the socket could not be made or connected; Finish
	// classifies it as it would a failure while waiting.
	startErr error
	// One of stream (TCP, SCTP) and datagram (UDP) holds the socket until
	// Finish or Close.
	stream   *os.File
	datagram *net.UDPConn
}

// Start checks the job and, unless it is bad or ctx is already done, creates
// the probe's socket on the calling goroutine's OS thread and starts the
// connection, without waiting for anything. The job's timeout counts from
// here. When ctx is done Start opens no socket at all. Every Started must be
// finished with Finish or released with Close, or its socket stays open.
func Start(ctx context.Context, job Job) *Started {
	s := &Started{job: job, began: time.Now()}
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
	switch t.protocol {
	case TCP:
		s.stream, s.startErr = startStream(unix.IPPROTO_TCP, t.addr)
	case SCTP:
		s.stream, s.startErr = startStream(ipprotoSCTP, t.addr)
	case UDP:
		s.datagram, s.startErr = startDatagram(t.addr)
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
type DropWatch func(job Job, local netip.AddrPort, dropped func()) (stop func())

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
	if s.startErr == nil && s.stream == nil && s.datagram == nil {
		return Error, noSocket, ""
	}
	probeCtx, cancel := context.WithDeadline(ctx, s.began.Add(s.target.timeout))
	defer cancel()
	var logged atomic.Bool
	if watch != nil && s.startErr == nil {
		if local, ok := s.localAddr(); ok {
			stop := watch(s.job, local, func() {
				logged.Store(true)
				cancel()
			})
			defer stop()
		}
	}
	var identity string
	err := s.startErr
	switch {
	case err != nil:
	case s.stream != nil:
		identity, err = finishStream(probeCtx, s.stream, s.job.From)
	default:
		identity, err = finishDatagram(probeCtx, s.datagram, s.job.From)
	}
	if err != nil {
		if logged.Load() && ctx.Err() == nil {
			return Blocked, fmt.Sprintf("%s: dropped: the network logged the drop after %s", phaseOf(err), time.Since(s.began).Round(time.Microsecond)), Dropped
		}
		return classify(ctx, probeCtx, s.target, err)
	}
	outcome, detail := judge(identity, s.job.Expect)
	return outcome, detail, ""
}

// localAddr is the address and port the probe's socket sends from, which
// the kernel chose when Start connected it.
func (s *Started) localAddr() (netip.AddrPort, bool) {
	if s.datagram != nil {
		a, ok := s.datagram.LocalAddr().(*net.UDPAddr)
		if !ok {
			return netip.AddrPort{}, false
		}
		ap := a.AddrPort()
		return netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port()), true
	}
	if s.stream == nil {
		return netip.AddrPort{}, false
	}
	raw, err := s.stream.SyscallConn()
	if err != nil {
		return netip.AddrPort{}, false
	}
	var sa unix.Sockaddr
	if raw.Control(func(fd uintptr) { sa, err = unix.Getsockname(int(fd)) }) != nil || err != nil {
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
	if s.stream != nil {
		err = s.stream.Close()
		s.stream = nil
	}
	if s.datagram != nil {
		err = s.datagram.Close()
		s.datagram = nil
	}
	// Finish's timeout may have closed the socket already, to wake a waiter.
	if errors.Is(err, os.ErrClosed) || errors.Is(err, net.ErrClosed) {
		return nil
	}
	return err
}
