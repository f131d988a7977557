package probes

import (
	"context"
	"sync"
	"sync/atomic"
)

// DefaultConcurrency is a sensible number of probes in flight for a batch:
// most blocked probes spend their whole timeout waiting, so a batch's time is
// about (blocked jobs / concurrency) × timeout.
const DefaultConcurrency = 32

// RunBatch runs jobs with at most concurrency of them at once (at least one)
// and returns their results in job order. run is Run unless the caller wraps
// it; nil means Run. A cancelled ctx makes the remaining jobs come back
// quickly as Error. Callers that probe from other network namespaces want
// RunBatchIn, which holds no thread in a namespace while probes wait.
func RunBatch(ctx context.Context, jobs []Job, concurrency int, run func(context.Context, Job) Result) []Result {
	if run == nil {
		run = Run
	}
	results := make([]Result, len(jobs))
	var next atomic.Int64
	var wg sync.WaitGroup
	for range min(max(concurrency, 1), len(jobs)) {
		wg.Go(func() {
			for {
				i := int(next.Add(1) - 1)
				if i >= len(jobs) {
					return
				}
				results[i] = run(ctx, jobs[i])
			}
		})
	}
	wg.Wait()
	return results
}
