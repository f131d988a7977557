package runner

import (
	"slices"
	"sync"
	"time"

	"github.com/netpolcheck/netpolcheck/probes"
)

// A blocked probe waits out its timeout, so a round lasts as long as its
// timeout whenever any cell is blocked: on the local cluster, 130 rounds of
// 250 ms were nearly all of the built-in library's time. Where the cluster
// logs every drop its enforcer makes (clusters.DropReporter), a timeout is
// settled by the log, not by the wait, so the runner may wait less: a
// multiple of how long allowed cells of the run took to answer, bounded
// below. That never turns a slow answer into a block:
//
//   - a cell expected blocked that timed out counts as blocked only with its
//     drop in the log, as every timeout on such a cluster already does;
//   - any other cell that timed out at the short timeout (a slow allowed
//     one, a drop not logged) is probed again with the full timeout, also
//     after the convergence bound, before its verdict is taken.
//
// A timeout given on the command line is kept as given. Where the cluster
// ends a dropped probe as soon as its drop is logged (clusters.DropEnder),
// no blocked probe waits out its timeout, and the whole one is kept.

// Bounds of the adaptive timeout.
const (
	// timeoutFloor keeps the timeout above a scheduler's hiccup.
	timeoutFloor = 25 * time.Millisecond
	// timeoutMultiple of the p99 of allowed answers.
	timeoutMultiple = 4
	// minAnswers is how many answers the p99 needs to mean anything.
	minAnswers = 50
	// keptAnswers bounds the answers kept: the latest are the load now.
	keptAnswers = 1024
)

// answerTimes are how long a run's allowed probes took, latest kept.
type answerTimes struct {
	mu    sync.Mutex
	times []time.Duration
	next  int
}

// record keeps the times of a round's allowed results.
func (a *answerTimes) record(results []probes.Result) {
	a.mu.Lock()
	defer a.mu.Unlock()
	for _, r := range results {
		if r.Outcome != probes.Allowed {
			continue
		}
		if len(a.times) < keptAnswers {
			a.times = append(a.times, r.Elapsed)
			continue
		}
		a.times[a.next] = r.Elapsed
		a.next = (a.next + 1) % keptAnswers
	}
}

// timeout is the timeout for a round's first probe of a cell: full until
// minAnswers allowed answers were seen, then timeoutMultiple times their
// p99, within [timeoutFloor, full].
func (a *answerTimes) timeout(full time.Duration) time.Duration {
	a.mu.Lock()
	if len(a.times) < minAnswers {
		a.mu.Unlock()
		return full
	}
	sorted := slices.Clone(a.times)
	a.mu.Unlock()
	slices.Sort(sorted)
	p99 := sorted[len(sorted)*99/100]
	return min(max(timeoutMultiple*p99, timeoutFloor), full)
}
