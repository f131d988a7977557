package main

import (
	"context"
	"flag"
	"fmt"
	"time"

	"github.com/netpolcheck/netpolcheck/probes"
)

type connectFlags struct {
	batch       bool
	concurrency int
	job         probes.Job
	port        int
}

// singleJobFlags only make sense without --batch, where the jobs come on stdin.
var singleJobFlags = []string{"from", "to", "port", "protocol", "expect", "timeout"}

func runConnect(ctx context.Context, args []string, s streams) error {
	var f connectFlags
	fs := newFlagSet("connect", s)
	fs.BoolVar(&f.batch, "batch", false, "read jobs from stdin (a JSON array or JSON lines) and write results to stdout")
	fs.IntVar(&f.concurrency, "concurrency", probes.DefaultConcurrency, "with --batch, the most jobs in flight at once")
	fs.StringVar(&f.job.From, "from", "", "the name of the source, sent in the request")
	fs.StringVar(&f.job.Host, "to", "", "the IP address to connect to")
	fs.IntVar(&f.port, "port", 0, "the port to connect to")
	fs.StringVar(&f.job.Protocol, "protocol", probes.TCP, "TCP, UDP or SCTP")
	fs.StringVar(&f.job.Expect, "expect", "", "the identity the server must answer with; empty accepts any")
	fs.DurationVar(&f.job.Timeout, "timeout", probes.DefaultTimeout, "how long to wait for an answer")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	set := map[string]bool{}
	fs.Visit(func(fl *flag.Flag) { set[fl.Name] = true })
	if f.batch {
		for _, name := range singleJobFlags {
			if set[name] {
				return usageErrorf("connect: --%s describes one job; with --batch the jobs come on stdin", name)
			}
		}
		return connectBatch(ctx, f.concurrency, s)
	}
	if set["concurrency"] {
		return usageErrorf("connect: --concurrency needs --batch")
	}
	if !set["to"] || !set["port"] {
		return usageErrorf("connect: give --to and --port, or --batch")
	}
	if f.port < 1 || f.port > 65535 {
		return usageErrorf("connect: --port must be 1-65535, not %d", f.port)
	}
	f.job.To, f.job.Port = f.job.Host, int32(f.port)
	return connectOne(ctx, f.job, s)
}

func connectBatch(ctx context.Context, concurrency int, s streams) error {
	if concurrency < 1 {
		return usageErrorf("connect: --concurrency must be at least 1, not %d", concurrency)
	}
	jobs, err := probes.DecodeJobs(s.in)
	if err != nil {
		return &exitCodeError{code: exitUsage, err: fmt.Errorf("connect: %w", err)}
	}
	results := probes.RunBatch(ctx, jobs, concurrency, nil)
	if err := probes.EncodeResults(s.out, results); err != nil {
		return fmt.Errorf("connect: %w", err)
	}
	return nil
}

// connectOne prints one line a human can read and exits with the outcome.
func connectOne(ctx context.Context, job probes.Job, s streams) error {
	r := probes.Run(ctx, job)
	fmt.Fprintf(s.out, "%s %s:%d/%s: %s (%s)\n", r.Outcome, job.Host, job.Port, job.Protocol, r.Detail, r.Elapsed.Round(time.Microsecond))
	switch r.Outcome {
	case probes.Allowed:
		return nil
	case probes.Blocked:
		return &exitCodeError{code: exitBlocked}
	default:
		return &exitCodeError{code: exitError}
	}
}
