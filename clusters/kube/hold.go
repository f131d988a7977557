package kube

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"sync"
	"time"

	"github.com/netpolcheck/netpolcheck/clusters"
	"github.com/netpolcheck/netpolcheck/probes"
)

var _ clusters.Holder = (*Cluster)(nil)

// Hold runs probe hold in the source pod through one exec that stays open:
// commands go down its stdin, results come back as JSON lines on its stdout.
// So the held connection lives in the pod, and the session costs one exec
// however many exchanges and dials it makes.
func (c *Cluster) Hold(ctx context.Context, job probes.Job) (clusters.HeldConnection, probes.Result, error) {
	c.mu.RLock()
	if err := c.usable(); err != nil {
		c.mu.RUnlock()
		return nil, probes.Result{}, err
	}
	lp, ok := c.pods[job.From]
	prepared, skip := c.prepare(job)
	c.mu.RUnlock()
	switch {
	case !ok:
		return nil, probes.Result{}, fmt.Errorf("hold: %s is not a probe pod of this cluster", job.From)
	case skip != "":
		return nil, probes.Result{}, fmt.Errorf("hold: %s", skip)
	}
	timeout := cmpTimeout(prepared.Timeout)
	args := []string{probeBinary, "hold", "--to", prepared.Host, "--port", strconv.Itoa(int(prepared.Port)),
		"--from", prepared.From, "--timeout", timeout.String()}
	if prepared.Expect != "" {
		args = append(args, "--expect", prepared.Expect)
	}

	sessionCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	stdin, commands := io.Pipe()
	results, stdout := io.Pipe()
	s := &heldSession{job: job, wait: timeout + execSlack, commands: commands, cancel: cancel,
		pending: map[int]chan probes.Result{}, ended: make(chan struct{})}
	first := make(chan probes.Result, 1)
	s.pending[0] = first
	c.b.execCalls.Add(1)
	go func() {
		var stderr limitedBuffer
		err := c.b.exec.Exec(sessionCtx, ExecRequest{
			Namespace: lp.namespace, Pod: lp.name, Container: ContainerName,
			Command: args, Stdin: stdin, Stdout: stdout, Stderr: &stderr,
		})
		if err != nil {
			err = fmt.Errorf("exec in %s (%s/%s): %w%s", lp.id, lp.namespace, lp.name, err, stderrSuffix(stderr.String()))
		} else {
			err = errors.New("probe hold ended")
		}
		_ = stdout.CloseWithError(err)
		// Commands written after the end fail instead of blocking.
		_ = stdin.CloseWithError(err)
	}()
	go s.read(results)

	return s, s.await(ctx, first), nil
}

// cmpTimeout is the job's timeout, or the probe's default.
func cmpTimeout(d time.Duration) time.Duration {
	if d <= 0 {
		return probes.DefaultTimeout
	}
	return d
}

// heldSession is one probe hold exec.
type heldSession struct {
	job      probes.Job
	wait     time.Duration // the longest one answer may take
	commands *io.PipeWriter
	cancel   context.CancelFunc

	mu      sync.Mutex
	next    int
	pending map[int]chan probes.Result
	ended   chan struct{} // closed when the exec's output ends
	endErr  error
}

// read hands each result line to the command waiting for it, until the
// exec's output ends.
func (s *heldSession) read(r *io.PipeReader) {
	lines := bufio.NewScanner(r)
	for lines.Scan() {
		var line struct {
			Seq    int           `json:"seq"`
			Result probes.Result `json:"result"`
		}
		if err := json.Unmarshal(lines.Bytes(), &line); err != nil {
			s.end(fmt.Errorf("probe hold wrote %q: %w", lines.Text(), err))
			_ = r.CloseWithError(err)
			return
		}
		s.mu.Lock()
		ch := s.pending[line.Seq]
		delete(s.pending, line.Seq)
		s.mu.Unlock()
		if ch != nil {
			ch <- line.Result
		}
	}
	err := lines.Err()
	if err == nil {
		err = errors.New("probe hold ended")
	}
	s.end(err)
}

func (s *heldSession) end(err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	select {
	case <-s.ended:
	default:
		s.endErr = err
		close(s.ended)
	}
}

// send issues a command and waits for its result.
func (s *heldSession) send(ctx context.Context, verb string) probes.Result {
	s.mu.Lock()
	select {
	case <-s.ended:
		s.mu.Unlock()
		return s.failed()
	default:
	}
	s.next++
	seq := s.next
	ch := make(chan probes.Result, 1)
	s.pending[seq] = ch
	s.mu.Unlock()
	if _, err := fmt.Fprintf(s.commands, "%s %d\n", verb, seq); err != nil {
		return probes.Result{Job: s.job, Outcome: probes.Error, Detail: "hold: send " + verb + ": " + err.Error()}
	}
	return s.await(ctx, ch)
}

// await waits for the result read into ch. The caller keeps ch from when it
// registered the command: read takes it out of pending as soon as the
// answer comes, which may be before await runs.
func (s *heldSession) await(ctx context.Context, ch chan probes.Result) probes.Result {
	timer := time.NewTimer(s.wait)
	defer timer.Stop()
	select {
	case r := <-ch:
		r.Job = s.job
		return r
	case <-s.ended:
		select {
		case r := <-ch:
			r.Job = s.job
			return r
		default:
			return s.failed()
		}
	case <-timer.C:
		return probes.Result{Job: s.job, Outcome: probes.Error, Detail: fmt.Sprintf("hold: no result within %s", s.wait)}
	case <-ctx.Done():
		return probes.Result{Job: s.job, Outcome: probes.Error, Detail: "hold: interrupted: " + ctx.Err().Error()}
	}
}

func (s *heldSession) failed() probes.Result {
	s.mu.Lock()
	defer s.mu.Unlock()
	return probes.Result{Job: s.job, Outcome: probes.Error, Detail: "hold: the session ended: " + s.endErr.Error()}
}

func (s *heldSession) Exchange(ctx context.Context) probes.Result { return s.send(ctx, "exchange") }
func (s *heldSession) Dial(ctx context.Context) probes.Result     { return s.send(ctx, "dial") }

// Close ends probe hold's stdin, which closes the connection and ends the
// exec; an exec that does not end soon is cancelled.
func (s *heldSession) Close() error {
	_ = s.commands.Close()
	select {
	case <-s.ended:
	case <-time.After(10 * time.Second):
	}
	s.cancel()
	return nil
}

// limitedBuffer keeps the first 4 KiB written to it: a session's stderr is
// only for the error message.
type limitedBuffer struct {
	mu  sync.Mutex
	buf []byte
}

func (b *limitedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if room := 4096 - len(b.buf); room > 0 {
		b.buf = append(b.buf, p[:min(room, len(p))]...)
	}
	return len(p), nil
}

func (b *limitedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return string(b.buf)
}
