package behaviour

import (
	"context"
	"fmt"
	"sync"
	"time"

	networkingv1 "k8s.io/api/networking/v1"

	"github.com/netpolcheck/netpolcheck/clusters"
	"github.com/netpolcheck/netpolcheck/probes"
	"github.com/netpolcheck/netpolcheck/reports"
	"github.com/netpolcheck/netpolcheck/scenarios"
)

// settle is how long after a deny is in force for new connections an
// established one is tried a second time: enforcers that judge established
// flows lazily (a conntrack entry timing out, a map swept) cut them later.
// A variable, so that tests can run faster.
var settle = 2 * time.Second

// established opens a→b and c→d, denies b's ingress and c's egress, waits
// until new connections are blocked, and then exchanges over the old ones.
// Each side is measured on its own: one that cannot open its connection
// does not keep the other from being measured.
func (m *measurement) established(ctx context.Context) []reports.Observation {
	ingress := m.session(ctx, EstablishedIngress, "a", "b")
	egress := m.session(ctx, EstablishedEgress, "c", "d")
	defer egress.close()
	for _, d := range []struct {
		s         *session
		pod       string
		direction networkingv1.PolicyType
	}{{ingress, "b", networkingv1.PolicyTypeIngress}, {egress, "c", networkingv1.PolicyTypeEgress}} {
		if d.s.obs != nil {
			continue
		}
		p := denyAll(d.pod, d.direction)
		if _, err := m.cluster.Apply(ctx, scenarios.Change{Kind: scenarios.ApplyPolicy, Policy: p}); err != nil {
			d.s.fail("apply " + p.Name + ": " + err.Error())
		}
	}
	// Side by side: without an enforcer each waits out the whole bound.
	var wg sync.WaitGroup
	wg.Go(func() { ingress.judge(ctx, m.opts.Converge) })
	wg.Go(func() { egress.judge(ctx, m.opts.Converge) })
	wg.Wait()
	if ingress.held != nil && ingress.obs != nil && ingress.obs.Value != NotMeasured {
		m.denied = ingress.held // restart watches its dials and closes it
	} else {
		ingress.close()
	}
	return []reports.Observation{ingress.observation(), egress.observation()}
}

// session is one held connection and what became of it.
type session struct {
	name string
	// via says how the connection was dialled, for the observation's detail.
	via  string
	held clusters.HeldConnection
	obs  *reports.Observation
}

// session opens the connection, trying again within the convergence bound:
// a Service's endpoints, or the network of a new pod, may take a moment.
func (m *measurement) session(ctx context.Context, name, from, to string) *session {
	s := &session{name: name, via: "by pod IP"}
	if m.opts.Target == probes.TargetService {
		s.via = "through " + namespace + "/" + to + "'s Service"
	}
	deadline := time.Now().Add(m.opts.Converge)
	for {
		held, first, err := m.holder.Hold(ctx, m.opts.job(from, to, m.addrs))
		switch {
		case err != nil:
			s.fail(err.Error())
			return s
		case first.Outcome == probes.Allowed:
			s.held = held
			return s
		}
		_ = held.Close()
		if time.Now().After(deadline) || ctx.Err() != nil {
			s.fail(fmt.Sprintf("with no policy in force, %s→%s was %s for %s: %s", from, to, first.Outcome, m.opts.Converge, first.Detail))
			return s
		}
		sleep(ctx, 250*time.Millisecond)
	}
}

func (s *session) fail(why string) {
	o := notMeasured(s.name, why)
	s.obs = &o
}

func (s *session) close() {
	if s.held != nil {
		_ = s.held.Close()
	}
}

func (s *session) observation() reports.Observation {
	if s.obs == nil {
		return notMeasured(s.name, "no result")
	}
	return *s.obs
}

// judge waits for the deny to block new connections and then exchanges
// over the held one, at once and after settle.
func (s *session) judge(ctx context.Context, converge time.Duration) {
	if s.obs != nil {
		return
	}
	inForce, detail := waitBlocked(ctx, s.held, converge)
	if !inForce {
		s.fail(detail)
		return
	}
	at := time.Now()
	first := s.held.Exchange(ctx)
	var second probes.Result
	if first.Outcome == probes.Allowed {
		sleep(ctx, settle)
		second = s.held.Exchange(ctx)
	}
	o := reports.Observation{Name: s.name}
	switch {
	case first.Outcome == probes.Blocked:
		o.Value, o.Detail = Cut, fmt.Sprintf("the connection opened before the deny was %s at once (new connections: %s)", first.Blocked, detail)
	case first.Outcome == probes.Allowed && second.Outcome == probes.Allowed:
		o.Value, o.Detail = Kept, fmt.Sprintf("the connection opened before the deny still answered at once and %s later (new connections: %s)", time.Since(at).Round(time.Second), detail)
	case first.Outcome == probes.Allowed && second.Outcome == probes.Blocked:
		o.Value, o.Detail = Cut, fmt.Sprintf("the connection opened before the deny answered once more, then was %s within %s (new connections: %s)", second.Blocked, settle, detail)
	default:
		failed := first
		if first.Outcome == probes.Allowed {
			failed = second
		}
		o.Value, o.Detail = NotMeasured, "an exchange over the held connection failed: "+failed.Detail
	}
	if o.Value != NotMeasured {
		o.Detail += "; dialled " + s.via
	}
	s.obs = &o
}

// waitBlocked dials until a new connection is blocked, within converge, and
// says how it was blocked or what the last dial saw.
func waitBlocked(ctx context.Context, held clusters.HeldConnection, converge time.Duration) (bool, string) {
	deadline := time.Now().Add(converge)
	began := time.Now()
	var last probes.Result
	for {
		last = held.Dial(ctx)
		if last.Outcome == probes.Blocked {
			return true, fmt.Sprintf("%s after %s", last.Blocked, time.Since(began).Round(100*time.Millisecond))
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			return false, fmt.Sprintf("the deny was not in force for new connections within %s (the last was %s: %s); is there an enforcer?", converge, last.Outcome, last.Detail)
		}
		sleep(ctx, 200*time.Millisecond)
	}
}

func notMeasured(name, why string) reports.Observation {
	return reports.Observation{Name: name, Value: NotMeasured, Detail: why}
}

func sleep(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}
