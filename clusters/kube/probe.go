package kube

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	utilexec "k8s.io/client-go/util/exec"

	"github.com/netpolcheck/netpolcheck/probes"
)

// execSlack is added to the time a batch needs at most, to bound an exec
// that hangs: starting the stream and the process takes a moment.
const execSlack = 30 * time.Second

// Probe runs the jobs with one exec per source pod, carrying that pod's whole
// batch on stdin (probe connect --batch), and runs the execs of different
// sources concurrently, at most Options.ExecConcurrency at once. Jobs from
// external hosts go to the provider. A source whose exec fails gets Error
// results saying why; only a cancelled ctx fails the call.
func (c *Cluster) Probe(ctx context.Context, jobs []probes.Job) ([]probes.Result, error) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	if err := c.usable(); err != nil {
		return nil, err
	}
	results := make([]probes.Result, len(jobs))
	sent := make([]probes.Job, len(jobs))
	bySource := map[string][]int{}
	var sources []string
	for i, j := range jobs {
		job, skip := c.prepare(j)
		if skip != "" {
			results[i] = probes.Result{Job: j, Outcome: probes.Skipped, Detail: skip}
			continue
		}
		sent[i] = job
		if _, ok := bySource[j.From]; !ok {
			sources = append(sources, j.From)
		}
		bySource[j.From] = append(bySource[j.From], i)
	}

	sem := make(chan struct{}, c.b.opts.ExecConcurrency)
	var wg sync.WaitGroup
	for _, from := range sources {
		idx := bySource[from]
		batch := make([]probes.Job, len(idx))
		for k, i := range idx {
			batch[k] = sent[i]
		}
		wg.Go(func() {
			select {
			case sem <- struct{}{}:
			case <-ctx.Done():
				return
			}
			defer func() { <-sem }()
			out, err := c.runBatch(ctx, from, batch)
			for k, i := range idx {
				if err != nil {
					results[i] = probes.Result{Job: jobs[i], Outcome: probes.Error, Detail: err.Error()}
					continue
				}
				results[i] = out[k]
				results[i].Job = jobs[i]
			}
		})
	}
	wg.Wait()
	if ctx.Err() != nil {
		return nil, fmt.Errorf("probe: %w", ctx.Err())
	}
	return results, nil
}

// prepare turns the runner's job into the one the source sends, or says why
// this cluster cannot carry it: a job of probes.TargetService dials the
// destination pod's Service IP, and a static external host answers with its
// own name. The target itself is not sent: the probe dials Host either way.
func (c *Cluster) prepare(j probes.Job) (probes.Job, string) {
	for _, end := range []string{j.From, j.To} {
		if why, ok := c.unplaced[end]; ok {
			return j, why
		}
	}
	target := j.Target.OrPod()
	j.Target, j.Resolver = "", ""
	if _, isPod := c.pods[j.From]; !isPod {
		if _, ok := c.b.opts.ExternalHosts.(ExternalProber); !ok {
			return j, fmt.Sprintf("external host %s cannot send probes on this cluster", j.From)
		}
	}
	if dst, isPod := c.pods[j.To]; isPod {
		switch {
		case target == probes.TargetPod:
		case dst.serviceIP == "":
			return j, fmt.Sprintf("%s has no Service to dial (--target %s not given)", j.To, target)
		case target == probes.TargetDNS && c.template.dnsServer == "":
			return j, "dns: the model has no cluster DNS to resolve through"
		case target == probes.TargetDNS:
			// The probe agent resolves it through the pod's resolv.conf.
			j.Host, j.Name = dst.serviceIP, probes.ServiceDNSName(dst.service, dst.namespace)
		default:
			j.Host = dst.serviceIP
		}
		return j, ""
	}
	if target != probes.TargetPod {
		return j, fmt.Sprintf("%s is not a pod: only pods have Services", j.To)
	}
	if c.b.opts.ExternalHosts != nil {
		if shared, ok := c.b.opts.ExternalHosts.(SharedExternalHosts); ok {
			if h, ok := c.host(j.To); ok {
				j.Expect = shared.Identity(h)
			}
		}
		return j, ""
	}
	h, ok := staticHostAt(c.b.opts.StaticHosts, j.Host)
	if !ok {
		return j, fmt.Sprintf("external host %s: no --external-host at %s", j.To, j.Host)
	}
	j.Expect = h.Name
	return j, ""
}

// runBatch runs one source's jobs and checks that a result came back for each.
func (c *Cluster) runBatch(ctx context.Context, from string, jobs []probes.Job) ([]probes.Result, error) {
	var out []probes.Result
	var err error
	if lp, ok := c.pods[from]; ok {
		out, err = c.execBatch(ctx, lp, jobs)
	} else {
		prober, _ := c.b.opts.ExternalHosts.(ExternalProber)
		h, ok := c.host(from)
		if !ok {
			return nil, fmt.Errorf("probe from external host %s: the cluster did not add it", from)
		}
		out, err = prober.ProbeFrom(ctx, h, jobs)
		if err != nil {
			err = fmt.Errorf("probe from external host %s: %w", from, err)
		}
	}
	if err != nil {
		return nil, err
	}
	if len(out) != len(jobs) {
		return nil, fmt.Errorf("probe from %s: %d results for %d jobs", from, len(out), len(jobs))
	}
	return out, nil
}

// execAttempts bounds the execs of one batch. Under load an API server or
// kubelet sometimes ends an exec stream cleanly before the probe's answer
// came through (CI saw whole sources with empty stdout and exit 0); that says
// nothing about the network, so the batch is sent again. A command that ran
// and failed (an exit code) is not retried: it would fail the same way.
const execAttempts = 3

// execBatch runs the batch in the source pod: through its probe session
// (Options.Sessions), or with probe connect --batch when the session fails.
func (c *Cluster) execBatch(ctx context.Context, lp *livePod, jobs []probes.Job) ([]probes.Result, error) {
	if c.b.opts.Sessions && !c.b.sessionsOff.Load() {
		results, err := c.sessionBatch(ctx, lp, jobs)
		if err == nil || ctx.Err() != nil {
			return results, err
		}
		c.b.sessionFailures.Add(1)
	}
	var encoded bytes.Buffer
	if err := probes.EncodeJobs(&encoded, jobs); err != nil {
		return nil, fmt.Errorf("exec in %s: %w", lp.id, err)
	}
	var lastErr error
	for attempt := 1; attempt <= execAttempts; attempt++ {
		results, err, retry := c.execOnce(ctx, lp, jobs, encoded.Bytes())
		if err == nil {
			return results, nil
		}
		if !retry || ctx.Err() != nil {
			return nil, err
		}
		lastErr = err
		if attempt < execAttempts {
			c.b.execRetries.Add(1)
		}
	}
	return nil, fmt.Errorf("%w (%d attempts)", lastErr, execAttempts)
}

// execOnce runs one exec of a batch and says whether a failure was of the
// stream rather than of the command.
func (c *Cluster) execOnce(ctx context.Context, lp *livePod, jobs []probes.Job, encoded []byte) (results []probes.Result, err error, retry bool) {
	var stdout, stderr bytes.Buffer
	ctx, cancel := context.WithTimeout(ctx, batchBound(jobs, c.b.opts.ProbeConcurrency))
	defer cancel()
	c.b.execCalls.Add(1)
	err = c.b.exec.Exec(ctx, ExecRequest{
		Namespace: lp.namespace,
		Pod:       lp.name,
		Container: ContainerName,
		Command:   batchCommand(c.b.opts.ProbeConcurrency),
		Stdin:     bytes.NewReader(encoded),
		Stdout:    &stdout,
		Stderr:    &stderr,
	})
	if err != nil {
		var exit utilexec.ExitError
		retry = !errors.As(err, &exit) && ctx.Err() == nil
		return nil, fmt.Errorf("exec in %s (%s/%s): %w%s", lp.id, lp.namespace, lp.name, err, stderrSuffix(stderr.String())), retry
	}
	if stdout.Len() == 0 && stderr.Len() == 0 {
		return nil, fmt.Errorf("exec in %s (%s/%s): the stream ended with no answer from the probe", lp.id, lp.namespace, lp.name), true
	}
	results, err = probes.DecodeResults(&stdout)
	if err != nil {
		return nil, fmt.Errorf("exec in %s (%s/%s): %w%s", lp.id, lp.namespace, lp.name, err, stderrSuffix(stderr.String())), false
	}
	return results, nil, false
}

// sessionBatch sends the batch down the pod's probe session, opening one
// if it has none. A session that fails is closed, so that the next round
// opens another; one whose probe exits 2 (bad usage) at once comes from an
// image without sessions (an older one), and sessions are turned off.
func (c *Cluster) sessionBatch(ctx context.Context, lp *livePod, jobs []probes.Job) ([]probes.Result, error) {
	encoded, err := json.Marshal(jobs)
	if err != nil {
		return nil, fmt.Errorf("session in %s: %w", lp.id, err)
	}
	lp.sessionMu.Lock()
	s, fresh := lp.session, false
	if s == nil {
		s, fresh = c.openSession(ctx, lp, sessionCommand(c.b.opts.ProbeConcurrency)), true
		lp.session = s
	}
	lp.sessionMu.Unlock()
	results, err := askSession(ctx, s, encoded, len(jobs), batchBound(jobs, c.b.opts.ProbeConcurrency))
	if err != nil {
		lp.closeSession(s)
		var exit utilexec.ExitError
		if fresh && errors.As(err, &exit) && exit.ExitStatus() == 2 {
			c.b.sessionsOff.Store(true)
		}
		return nil, fmt.Errorf("session in %s (%s/%s): %w", lp.id, lp.namespace, lp.name, err)
	}
	return results, nil
}

// askSession sends one batch and reads its results.
func askSession(ctx context.Context, s *lineSession, jobs json.RawMessage, n int, wait time.Duration) ([]probes.Result, error) {
	seq, err := s.send(func(seq int) []byte {
		line, _ := json.Marshal(struct {
			Seq  int             `json:"seq"`
			Jobs json.RawMessage `json:"jobs"`
		}{seq, jobs})
		return append(line, '\n')
	})
	if err != nil {
		return nil, err
	}
	raw, err := s.await(ctx, seq, wait)
	if err != nil {
		return nil, err
	}
	var answer struct {
		Results []probes.Result `json:"results"`
	}
	if err := json.Unmarshal(raw, &answer); err != nil {
		return nil, fmt.Errorf("answer %.200q: %w", raw, err)
	}
	if len(answer.Results) != n {
		return nil, fmt.Errorf("%d results for %d jobs", len(answer.Results), n)
	}
	return answer.Results, nil
}

// closeSession ends s if it is still the pod's session; nil ends whichever it has.
func (lp *livePod) closeSession(s *lineSession) {
	lp.sessionMu.Lock()
	if s == nil {
		s = lp.session
	}
	if lp.session == s {
		lp.session = nil
	}
	lp.sessionMu.Unlock()
	if s != nil {
		// The session has nothing in flight: its command ends with its stdin.
		go s.close(10 * time.Second)
	}
}

// sessionCommand is the command of a probe session.
func sessionCommand(concurrency int) []string {
	return []string{probeBinary, "session", "--concurrency", strconv.Itoa(concurrency)}
}

// batchCommand is the command exec runs in a probe pod.
func batchCommand(concurrency int) []string {
	return []string{probeBinary, "connect", "--batch", "--concurrency", strconv.Itoa(concurrency)}
}

// batchBound is the longest a batch can take: every job waiting out its
// timeout, concurrency at a time, plus execSlack.
func batchBound(jobs []probes.Job, concurrency int) time.Duration {
	longest := probes.DefaultTimeout
	for _, j := range jobs {
		longest = max(longest, j.Timeout)
	}
	rounds := (len(jobs) + concurrency - 1) / concurrency
	return time.Duration(rounds)*longest + execSlack
}

// stderrSuffix adds what the probe wrote on stderr to an error, trimmed.
func stderrSuffix(stderr string) string {
	stderr = strings.TrimSpace(stderr)
	if stderr == "" {
		return ""
	}
	const limit = 500
	if len(stderr) > limit {
		stderr = stderr[:limit] + "..."
	}
	return ": " + stderr
}
