package probes

import (
	"context"
	"fmt"
	"os"
	"sync"
	"time"

	"golang.org/x/sys/unix"
)

// Held is a TCP connection kept open across changes to the cluster, so that
// a behaviour probe can see what an enforcer does to a connection that was
// established before a policy denied it: the API leaves that open, and
// implementations differ (conntrack-based ones keep it, strict ones cut it).
type Held struct {
	job    Job
	target target
	mu     sync.Mutex
	conn   *os.File // nil once cut or closed
	cut    string   // why conn is gone
}

// Hold connects for a TCP job and makes the first exchange of request and
// identity over the connection, as Run would. When that result is Allowed
// the connection stays open for Exchange; otherwise it is closed, and the
// Held only repeats why.
func Hold(ctx context.Context, job Job) (*Held, Result) {
	began := time.Now()
	h := &Held{job: job}
	t, err := parseTarget(job)
	if err == nil && t.protocol != TCP {
		err = fmt.Errorf("only TCP connections can be held, not %s", t.protocol)
	}
	if err != nil {
		h.cut = "bad job: " + err.Error()
		return h, Result{Job: job, Outcome: Error, Detail: h.cut, Elapsed: time.Since(began)}
	}
	h.target = t
	f, err := startStream(unix.IPPROTO_TCP, t.addr)
	if err == nil {
		probeCtx, cancel := context.WithDeadline(ctx, began.Add(t.timeout))
		var identity string
		identity, err = finishStream(probeCtx, f, job.From)
		if err != nil {
			_ = f.Close()
			outcome, detail, blocked := classify(ctx, probeCtx, t, err)
			cancel()
			h.cut = "the first exchange failed: " + detail
			return h, Result{Job: job, Outcome: outcome, Blocked: blocked, Detail: detail, Elapsed: time.Since(began)}
		}
		cancel()
		outcome, detail := judge(identity, job.Expect)
		if outcome == Allowed {
			h.conn = f
		} else {
			_ = f.Close()
			h.cut = "the first exchange failed: " + detail
		}
		return h, Result{Job: job, Outcome: outcome, Detail: detail, Elapsed: time.Since(began)}
	}
	outcome, detail, blocked := classify(ctx, ctx, t, err)
	h.cut = "the first exchange failed: " + detail
	return h, Result{Job: job, Outcome: outcome, Blocked: blocked, Detail: detail, Elapsed: time.Since(began)}
}

// Exchange sends another request over the held connection and waits, within
// the job's timeout, for the identity. A failed exchange closes the
// connection: a late answer would otherwise be read as the next one's.
// Later exchanges are Errors that say when it was cut.
func (h *Held) Exchange(ctx context.Context) Result {
	began := time.Now()
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.conn == nil {
		return Result{Job: h.job, Outcome: Error, Detail: "no connection held: " + h.cut, Elapsed: time.Since(began)}
	}
	probeCtx, cancel := context.WithTimeout(ctx, h.target.timeout)
	defer cancel()
	stop := context.AfterFunc(probeCtx, func() { _ = h.conn.SetDeadline(time.Now()) })
	identity, err := exchangeStream(h.conn, h.job.From)
	stop()
	_ = h.conn.SetDeadline(time.Time{})
	if err != nil {
		outcome, detail, blocked := classify(ctx, probeCtx, h.target, err)
		h.release("an exchange failed: " + detail)
		return Result{Job: h.job, Outcome: outcome, Blocked: blocked, Detail: detail, Elapsed: time.Since(began)}
	}
	outcome, detail := judge(identity, h.job.Expect)
	if outcome != Allowed {
		h.release("an exchange failed: " + detail)
	}
	return Result{Job: h.job, Outcome: outcome, Detail: detail, Elapsed: time.Since(began)}
}

// Close closes the connection; it may be called more than once.
func (h *Held) Close() error {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.conn == nil {
		return nil
	}
	err := h.conn.Close()
	h.conn, h.cut = nil, "closed"
	return err
}

// release closes a connection that failed; h.mu is held.
func (h *Held) release(why string) {
	_ = h.conn.Close()
	h.conn, h.cut = nil, why
}
