package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"sync"

	"github.com/netpolcheck/netpolcheck/probes"
)

// sessionRequest is one line of session's input: a batch of jobs, as
// connect --batch reads them, with a sequence number.
type sessionRequest struct {
	Seq  int             `json:"seq"`
	Jobs json.RawMessage `json:"jobs"`
}

// sessionReply is one line of session's output: the results of the batch
// with the same sequence number, in job order.
type sessionReply struct {
	Seq     int             `json:"seq"`
	Results []probes.Result `json:"results"`
}

// maxSessionLine bounds one request line: a batch of thousands of jobs.
const maxSessionLine = 64 << 20

// runSession is connect --batch for many batches through one process: a
// runner keeps it open in a source pod for a whole run, so that a round of
// probes costs a line on stdin instead of an exec (the container runtime
// starting a process, through the API server and the kubelet: most of a
// kind cluster's CPU in a run). Batches run concurrently; end of stdin
// waits for them and exits 0. A line that is not a request is bad input
// (exit 2): the runner and the probe disagree on the protocol.
func runSession(ctx context.Context, args []string, s streams) error {
	fs := newFlagSet("session", s)
	concurrency := fs.Int("concurrency", probes.DefaultConcurrency, "the most jobs of one batch in flight at once")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *concurrency < 1 {
		return usageErrorf("session: --concurrency must be at least 1, not %d", *concurrency)
	}
	var out sync.Mutex
	enc := json.NewEncoder(s.out)
	var wg sync.WaitGroup
	defer wg.Wait()
	lines := bufio.NewScanner(s.in)
	lines.Buffer(make([]byte, 64<<10), maxSessionLine)
	for lines.Scan() {
		if len(bytes.TrimSpace(lines.Bytes())) == 0 {
			continue
		}
		dec := json.NewDecoder(bytes.NewReader(lines.Bytes()))
		dec.DisallowUnknownFields()
		var req sessionRequest
		if err := dec.Decode(&req); err != nil || req.Seq < 1 || len(req.Jobs) == 0 || req.Jobs[0] != '[' {
			return usageErrorf("session: line %.80q is not {\"seq\":N,\"jobs\":[...]} with N ≥ 1", lines.Text())
		}
		jobs, err := probes.DecodeJobs(bytes.NewReader(req.Jobs))
		if err != nil {
			return usageErrorf("session: batch %d: %v", req.Seq, err)
		}
		wg.Go(func() {
			results := probes.RunBatch(ctx, jobs, *concurrency, nil)
			out.Lock()
			defer out.Unlock()
			_ = enc.Encode(sessionReply{Seq: req.Seq, Results: results})
		})
	}
	if err := lines.Err(); err != nil {
		return fmt.Errorf("session: read batches: %w", err)
	}
	return nil
}
