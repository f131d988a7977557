package controller

import (
	"context"
	"time"
)

// work is the single worker: it waits for a sync to be due, holds back
// until MinInterval has passed since the previous start, and syncs. A sync
// that asks for another (it failed, or a local pod's device is missing) gets
// one after a backoff that doubles up to MaxRetry and resets on success.
func (c *Controller) work(ctx context.Context) {
	var (
		lastStart time.Time
		retry     <-chan time.Time
		backoff   = firstRetry
	)
	for {
		select {
		case <-ctx.Done():
			return
		case <-c.dirty:
		case <-retry:
		}
		if wait := time.Until(lastStart.Add(c.opts.MinInterval)); wait > 0 {
			t := time.NewTimer(wait)
			select {
			case <-ctx.Done():
				t.Stop()
				return
			case <-t.C:
			}
		}
		// The sync reads the listers after this point, so it covers every
		// event that raised the flag so far.
		select {
		case <-c.dirty:
		default:
		}
		lastStart = time.Now()
		if c.sync() {
			retry = time.After(backoff)
			backoff = min(2*backoff, c.opts.MaxRetry)
			continue
		}
		retry, backoff = nil, firstRetry
	}
}
