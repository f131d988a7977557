package behaviour

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/netpolcheck/netpolcheck/clusters"
	"github.com/netpolcheck/netpolcheck/probes"
	"github.com/netpolcheck/netpolcheck/reports"
)

// Restart timing: a denied connection is dialled every dialEvery from the
// deletion of the enforcer's pods until afterReady past their replacements'
// readiness, since an enforcer may report Ready before it has programmed
// anything. Variables, so that tests can run them faster.
var (
	dialEvery  = 250 * time.Millisecond
	afterReady = 5 * time.Second
)

type dial struct {
	at     time.Duration // since the deletion
	result probes.Result
}

// restart deletes the enforcer's pods on the nodes of a and b while dialling
// the connection the ingress deny blocks, and tells whether any got through.
func (m *measurement) restart(ctx context.Context) reports.Observation {
	restarter, ok := m.cluster.(clusters.EnforcerRestarter)
	if !ok {
		return notMeasured(EnforcerRestart, "this cluster cannot restart its enforcer")
	}
	if m.denied == nil {
		return notMeasured(EnforcerRestart, "no denied connection to watch: the ingress deny was not measured")
	}
	defer m.denied.Close()
	if r := m.denied.Dial(ctx); r.Outcome != probes.Blocked {
		return notMeasured(EnforcerRestart, fmt.Sprintf("before the restart the denied connection was %s: %s", r.Outcome, r.Detail))
	}
	restartCtx, cancel := context.WithTimeout(ctx, m.opts.Restart)
	defer cancel()
	began := time.Now()
	ready, err := restarter.RestartEnforcer(restartCtx, []string{namespace + "/a", namespace + "/b"})
	if err != nil {
		return notMeasured(EnforcerRestart, err.Error())
	}
	var (
		mu    sync.Mutex
		dials []dial
		wg    sync.WaitGroup
	)
	tick := time.NewTicker(dialEvery)
	defer tick.Stop()
	var readyAfter time.Duration
	var stop <-chan time.Time
	var readyErr error
watch:
	for {
		select {
		case err := <-ready:
			readyAfter, readyErr = time.Since(began), err
			if err != nil {
				break watch
			}
			stop = time.After(afterReady)
			ready = nil
		case <-stop:
			break watch
		case <-restartCtx.Done():
			readyErr = restartCtx.Err()
			break watch
		case <-tick.C:
			at := time.Since(began)
			wg.Go(func() {
				r := m.denied.Dial(ctx)
				mu.Lock()
				dials = append(dials, dial{at: at, result: r})
				mu.Unlock()
			})
		}
	}
	wg.Wait()
	if readyErr != nil {
		return notMeasured(EnforcerRestart, fmt.Sprintf("the enforcer did not come back: %v", readyErr))
	}
	return restartObservation(dials, readyAfter)
}

// restartObservation tallies the dials made during a restart.
func restartObservation(dials []dial, readyAfter time.Duration) reports.Observation {
	var allowed, blocked, errored int
	var first, last time.Duration
	for _, d := range dials {
		switch d.result.Outcome {
		case probes.Allowed:
			if allowed == 0 || d.at < first {
				first = d.at
			}
			last = max(last, d.at)
			allowed++
		case probes.Blocked:
			blocked++
		default:
			errored++
		}
	}
	span := fmt.Sprintf("replacements Ready %s after the deletion; %d dials every %s until %s later", readyAfter.Round(100*time.Millisecond), len(dials), dialEvery, afterReady)
	switch {
	case allowed > 0:
		return reports.Observation{Name: EnforcerRestart, Value: FailOpen, Detail: fmt.Sprintf("%d of %d dials of a denied connection got through, from %s to %s after the deletion; %s",
			allowed, allowed+blocked+errored, first.Round(100*time.Millisecond), last.Round(100*time.Millisecond), span)}
	case blocked == 0:
		return notMeasured(EnforcerRestart, fmt.Sprintf("no dial during the restart gave an answer (%d errors); %s", errored, span))
	default:
		return reports.Observation{Name: EnforcerRestart, Value: StayedClosed, Detail: fmt.Sprintf("all %d dials of a denied connection were blocked (%d errors); %s", blocked, errored, span)}
	}
}
