package kube

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
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

	h := &heldSession{job: job, wait: timeout + execSlack, session: c.openSession(ctx, lp, args)}
	return h, h.result(ctx, 0), nil
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
	job     probes.Job
	wait    time.Duration // the longest one answer may take
	session *lineSession
}

// result waits for the answer to command seq (0: the first exchange).
func (h *heldSession) result(ctx context.Context, seq int) probes.Result {
	raw, err := h.session.await(ctx, seq, h.wait)
	if err != nil {
		return probes.Result{Job: h.job, Outcome: probes.Error, Detail: "hold: " + err.Error()}
	}
	var line struct {
		Result probes.Result `json:"result"`
	}
	if err := json.Unmarshal(raw, &line); err != nil {
		return probes.Result{Job: h.job, Outcome: probes.Error, Detail: fmt.Sprintf("hold: answer %.200q: %v", raw, err)}
	}
	line.Result.Job = h.job
	return line.Result
}

// send issues a command and waits for its result.
func (h *heldSession) send(ctx context.Context, verb string) probes.Result {
	seq, err := h.session.send(func(seq int) []byte { return fmt.Appendf(nil, "%s %d\n", verb, seq) })
	if err != nil {
		return probes.Result{Job: h.job, Outcome: probes.Error, Detail: "hold: send " + verb + ": " + err.Error()}
	}
	return h.result(ctx, seq)
}

func (h *heldSession) Exchange(ctx context.Context) probes.Result { return h.send(ctx, "exchange") }
func (h *heldSession) Dial(ctx context.Context) probes.Result     { return h.send(ctx, "dial") }

// Close ends probe hold's stdin, which closes the connection and ends the
// exec; an exec that does not end soon is cancelled.
func (h *heldSession) Close() error {
	h.session.close(10 * time.Second)
	return nil
}
