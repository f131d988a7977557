package probes

import (
	"context"
	"errors"
	"fmt"
	"sync"
)

// RunBatchIn runs jobs whose sockets must come from their source's network
// namespace, and returns their results in job order. enter(from, start) must
// run start once on an OS thread inside the namespace of the source named
// from, and return only after start has returned; an error from enter makes
// every job of that source an Error naming it.
//
// RunBatchIn enters each source once and starts all of its jobs there (more
// than once only when the source has more jobs than free slots), one source
// at a time, then waits for every answer on ordinary goroutines. So no
// thread sits in a namespace while probes wait, and a round costs one
// namespace hop per source instead of a locked thread per job. At most
// concurrency probes (at least one) are started and unfinished at once,
// which bounds open sockets; each job's timeout counts from its own start.
// A cancelled ctx makes the remaining jobs come back quickly as Error. A
// non-nil watch ends each probe whose drop it reports (see DropWatch).
func RunBatchIn(ctx context.Context, jobs []Job, concurrency int, enter func(from string, start func()) error, watch DropWatch) []Result {
	results := make([]Result, len(jobs))
	slots := make(chan struct{}, max(concurrency, 1))
	var wg sync.WaitGroup
	for _, g := range bySource(jobs) {
		for pending := g.indexes; len(pending) > 0; {
			n := takeSlots(ctx, slots, len(pending))
			if n == 0 {
				// ctx is done, and then Start opens no socket, so it can
				// report these jobs from outside the namespace.
				for _, i := range pending {
					results[i] = Start(ctx, jobs[i]).Finish(ctx)
				}
				break
			}
			started, err := startIn(ctx, g.from, jobs, pending[:n], enter)
			if err != nil {
				// Entering again would fail alike: the rest of the source fails too.
				failed := Result{Outcome: Error, Detail: fmt.Sprintf("source %s: %v", g.from, err)}
				for _, i := range pending {
					failed.Job = jobs[i]
					results[i] = failed
				}
				for range n {
					<-slots
				}
				break
			}
			for k, s := range started {
				i := pending[k]
				wg.Go(func() {
					defer func() { <-slots }()
					results[i] = s.FinishWatched(ctx, watch)
				})
			}
			pending = pending[n:]
		}
	}
	wg.Wait()
	return results
}

// sourceJobs are the indexes of the jobs of one source.
type sourceJobs struct {
	from    string
	indexes []int
}

// bySource groups job indexes by source, sources in order of first appearance.
func bySource(jobs []Job) []sourceJobs {
	var groups []sourceJobs
	at := map[string]int{}
	for i, job := range jobs {
		g, ok := at[job.From]
		if !ok {
			g = len(groups)
			at[job.From] = g
			groups = append(groups, sourceJobs{from: job.From})
		}
		groups[g].indexes = append(groups[g].indexes, i)
	}
	return groups
}

// takeSlots waits for one free slot, then takes up to want in all without
// waiting more, so that one namespace hop starts as many jobs as may run. It
// returns 0, holding none, once ctx is done.
func takeSlots(ctx context.Context, slots chan struct{}, want int) int {
	if ctx.Err() != nil {
		return 0
	}
	select {
	case slots <- struct{}{}:
	case <-ctx.Done():
		return 0
	}
	n := 1
	for ; n < want; n++ {
		select {
		case slots <- struct{}{}:
		default:
			return n
		}
	}
	return n
}

// errNotStarted is an enter that returned without error and without
// running start.
var errNotStarted = errors.New("entered without starting the probes")

// startIn starts the jobs at indexes chunk inside from's namespace. When
// enter fails it closes whatever was started, so no socket outlives it.
func startIn(ctx context.Context, from string, jobs []Job, chunk []int, enter func(string, func()) error) ([]*Started, error) {
	started := make([]*Started, 0, len(chunk))
	ran := false
	err := enter(from, func() {
		if ran {
			return
		}
		ran = true
		for _, i := range chunk {
			started = append(started, Start(ctx, jobs[i]))
		}
	})
	if err == nil && !ran {
		err = errNotStarted
	}
	if err != nil {
		for _, s := range started {
			_ = s.Close()
		}
		return nil, err
	}
	return started, nil
}
