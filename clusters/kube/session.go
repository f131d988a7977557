package kube

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"
)

// lineSession is an exec that stays open: requests go down its stdin, each
// carrying a sequence number, and the answers come back on its stdout as
// JSON lines {"seq":N,...}, in any order. probe hold and probe session
// speak it, so that many requests cost one exec.
type lineSession struct {
	requests *io.PipeWriter
	cancel   context.CancelFunc

	mu      sync.Mutex
	next    int
	answers map[int]chan json.RawMessage
	ended   chan struct{} // closed when the exec's output ends
	endErr  error
}

// maxAnswerLine bounds one answer: the results of a batch of thousands of jobs.
const maxAnswerLine = 64 << 20

// openSession starts command in the pod's probe container. The exec lives
// until close (or the pod goes), whatever ctx does afterwards.
func (c *Cluster) openSession(ctx context.Context, lp *livePod, command []string) *lineSession {
	sessionCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	stdin, requests := io.Pipe()
	answers, stdout := io.Pipe()
	s := &lineSession{requests: requests, cancel: cancel, answers: map[int]chan json.RawMessage{}, ended: make(chan struct{})}
	c.b.execCalls.Add(1)
	go func() {
		var stderr limitedBuffer
		err := c.b.exec.Exec(sessionCtx, ExecRequest{
			Namespace: lp.namespace, Pod: lp.name, Container: ContainerName,
			Command: command, Stdin: stdin, Stdout: stdout, Stderr: &stderr,
		})
		if err != nil {
			err = fmt.Errorf("exec in %s (%s/%s): %w%s", lp.id, lp.namespace, lp.name, err, stderrSuffix(stderr.String()))
		} else {
			err = fmt.Errorf("%s ended", command[1])
		}
		_ = stdout.CloseWithError(err)
		// Requests written after the end fail instead of blocking.
		_ = stdin.CloseWithError(err)
	}()
	go s.read(answers)
	return s
}

// answer is where the answer with seq goes; made by whichever of the
// reader and the waiter comes first.
func (s *lineSession) answer(seq int) chan json.RawMessage {
	s.mu.Lock()
	defer s.mu.Unlock()
	ch, ok := s.answers[seq]
	if !ok {
		ch = make(chan json.RawMessage, 1)
		s.answers[seq] = ch
	}
	return ch
}

// read hands each answer line to its waiter, until the exec's output ends.
func (s *lineSession) read(r *io.PipeReader) {
	lines := bufio.NewScanner(r)
	lines.Buffer(make([]byte, 64<<10), maxAnswerLine)
	for lines.Scan() {
		var line struct {
			Seq int `json:"seq"`
		}
		if err := json.Unmarshal(lines.Bytes(), &line); err != nil {
			err = fmt.Errorf("the probe wrote %.200q: %w", lines.Text(), err)
			s.end(err)
			_ = r.CloseWithError(err)
			return
		}
		s.answer(line.Seq) <- json.RawMessage(append([]byte(nil), lines.Bytes()...))
	}
	err := lines.Err()
	if err == nil {
		err = errors.New("the exec's output ended")
	}
	s.end(err)
}

func (s *lineSession) end(err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	select {
	case <-s.ended:
	default:
		s.endErr = err
		close(s.ended)
	}
}

// send writes the request that line makes for the next sequence number,
// and returns that number.
func (s *lineSession) send(line func(seq int) []byte) (int, error) {
	s.mu.Lock()
	select {
	case <-s.ended:
		s.mu.Unlock()
		return 0, s.endedErr()
	default:
	}
	s.next++
	seq := s.next
	s.mu.Unlock()
	if _, err := s.requests.Write(line(seq)); err != nil {
		return 0, err
	}
	return seq, nil
}

// await waits up to wait for the answer with seq.
func (s *lineSession) await(ctx context.Context, seq int, wait time.Duration) (json.RawMessage, error) {
	ch := s.answer(seq)
	defer func() {
		s.mu.Lock()
		delete(s.answers, seq)
		s.mu.Unlock()
	}()
	timer := time.NewTimer(wait)
	defer timer.Stop()
	select {
	case a := <-ch:
		return a, nil
	case <-s.ended:
		select {
		case a := <-ch:
			return a, nil
		default:
			return nil, s.endedErr()
		}
	case <-timer.C:
		return nil, fmt.Errorf("no answer within %s", wait)
	case <-ctx.Done():
		return nil, fmt.Errorf("interrupted: %w", ctx.Err())
	}
}

func (s *lineSession) endedErr() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return fmt.Errorf("the session ended: %w", s.endErr)
}

// close ends the session's stdin, which ends the command; an exec that does
// not end within grace is cancelled.
func (s *lineSession) close(grace time.Duration) {
	_ = s.requests.Close()
	select {
	case <-s.ended:
	case <-time.After(grace):
	}
	s.cancel()
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
