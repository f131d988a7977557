package reports

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"time"
)

// Observation is one thing a run saw of what the API leaves to each
// implementation: a fact about the cluster, not a pass or a failure.
type Observation struct {
	// Name says what was observed: "deny TCP", "hairpin by pod IP", ...
	Name string `json:"name"`
	// Value is the finding in a word or two ("dropped", "refused", "mixed",
	// "allowed", "blocked"), what report compare sets side by side; for
	// latencies it is the figures, and Measured is set.
	Value string `json:"value"`
	// Detail gives the counts the value rests on.
	Detail string `json:"detail"`
	// Measured marks figures (latencies) that differ from run to run, which
	// report compare shows but does not count as a difference.
	Measured bool `json:"measured,omitempty"`
}

// Behaviour observes, from a run's own cells and steps, the behaviours the
// NetworkPolicy API leaves to each implementation:
//   - how denied connections end, per protocol: dropped (no answer before
//     the timeout) or refused (a reset or an ICMP error came back);
//   - hairpin: a pod reaching itself, by its own IP or through its own
//     Service, while policies isolate it and the oracle blocks it (the API
//     is silent; upstream ignores such cells);
//   - through Services: whether verdicts matched the oracle's, which judges
//     the backend pod after the Service's translation, or the VIP was judged;
//   - propagation: from applying a step to the cluster enforcing it;
//
// and after them the observations of the behaviour probes (r.Probed).
//
// Simulations observe nothing (nil).
func Behaviour(r *Results) []Observation {
	if r == nil || r.Mode != modeRun {
		return nil
	}
	var out []Observation
	out = append(out, denyObservations(r)...)
	out = append(out, hairpinObservations(r)...)
	if o, ok := serviceObservation(r); ok {
		out = append(out, o)
	}
	if o, ok := propagationObservation(r); ok {
		out = append(out, o)
	}
	return append(out, r.Probed...)
}

// denyObservations tally the expected-blocked cells observed blocked by
// how they were blocked, per protocol; steps that kept no cells count under
// "all protocols".
func denyObservations(r *Results) []Observation {
	type tally struct{ dropped, refused int }
	byProtocol := map[string]*tally{}
	add := func(protocol string, how How, n int) {
		t := byProtocol[protocol]
		if t == nil {
			t = &tally{}
			byProtocol[protocol] = t
		}
		switch how {
		case BlockedDropped:
			t.dropped += n
		case BlockedRefused:
			t.refused += n
		}
	}
	for _, sc := range r.Scenarios {
		for _, st := range sc.Steps {
			if len(st.Cells) == 0 {
				for how, n := range st.Blocks {
					add("all protocols", how, n)
				}
				continue
			}
			for _, c := range st.Cells {
				if c.Expected == OutcomeBlocked && c.Observed == OutcomeBlocked && !c.Loopback {
					name := cmp.Or(c.Protocol, "TCP")
					switch r.CellTarget(c) {
					case TargetService:
						name += " through Services"
					case TargetDNS:
						name += " by DNS name"
					}
					add(name, c.Blocked, 1)
				}
			}
		}
	}
	protocols := make([]string, 0, len(byProtocol))
	for p := range byProtocol {
		protocols = append(protocols, p)
	}
	slices.Sort(protocols)
	var out []Observation
	for _, p := range protocols {
		t := byProtocol[p]
		if t.dropped+t.refused == 0 {
			continue
		}
		value := "mixed"
		switch {
		case t.refused == 0:
			value = string(BlockedDropped)
		case t.dropped == 0:
			value = string(BlockedRefused)
		}
		out = append(out, Observation{Name: "deny " + p, Value: value,
			Detail: fmt.Sprintf("of %d denied connections, %d dropped, %d refused", t.dropped+t.refused, t.dropped, t.refused)})
	}
	return out
}

// hairpinObservations tally loopback cells the oracle blocks (the pod is
// isolated and no rule admits itself) by what the network did, per target.
func hairpinObservations(r *Results) []Observation {
	type tally struct{ allowed, blocked int }
	byTarget := map[string]*tally{}
	for _, sc := range r.Scenarios {
		for _, st := range sc.Steps {
			for _, c := range st.Cells {
				if !c.Loopback || c.Expected != OutcomeBlocked {
					continue
				}
				t := byTarget[r.CellTarget(c)]
				if t == nil {
					t = &tally{}
					byTarget[r.CellTarget(c)] = t
				}
				switch c.Observed {
				case OutcomeAllowed:
					t.allowed++
				case OutcomeBlocked:
					t.blocked++
				}
			}
		}
	}
	var out []Observation
	for _, target := range []string{TargetPod, TargetService} {
		t := byTarget[target]
		if t == nil || t.allowed+t.blocked == 0 {
			continue
		}
		how := "by pod IP"
		if target == TargetService {
			how = "through its own Service"
		}
		value := "mixed"
		switch {
		case t.blocked == 0:
			value = string(OutcomeAllowed)
		case t.allowed == 0:
			value = string(OutcomeBlocked)
		}
		out = append(out, Observation{Name: "hairpin " + how, Value: value,
			Detail: fmt.Sprintf("a pod isolated against itself reached itself in %d of %d cells", t.allowed, t.allowed+t.blocked)})
	}
	return out
}

// serviceObservation reads the cells probed through Services: the oracle
// judges the backend pod, so cells that match it were judged after
// translation.
func serviceObservation(r *Results) (Observation, bool) {
	var matched, differed int
	for _, sc := range r.Scenarios {
		for _, st := range sc.Steps {
			for _, c := range st.Cells {
				if c.Loopback || r.CellTarget(c) != TargetService {
					continue
				}
				switch c.Verdict {
				case Pass:
					matched++
				case Fail:
					differed++
				}
			}
		}
	}
	if matched+differed == 0 {
		return Observation{}, false
	}
	value := "backend pod (after DNAT)"
	if differed > 0 {
		value = "not always the backend pod"
	}
	return Observation{Name: "Service traffic judged on", Value: value,
		Detail: fmt.Sprintf("%d of %d cells through Services matched the verdicts for their backend pods", matched, matched+differed)}, true
}

// propagationObservation sums how long passing steps took from their
// change to the cluster enforcing it (the first probe round that matched),
// which includes a probe round.
func propagationObservation(r *Results) (Observation, bool) {
	var converge []float64
	for _, sc := range r.Scenarios {
		for _, st := range sc.Steps {
			if st.Status == Pass && st.Phases != nil {
				converge = append(converge, float64(st.Converge))
			}
		}
	}
	if len(converge) == 0 {
		return Observation{}, false
	}
	slices.Sort(converge)
	at := func(q float64) string {
		// Nearest rank: the smallest value at least q of the steps reach.
		i := max(int(math.Ceil(q*float64(len(converge))))-1, 0)
		return (time.Duration(converge[i] * float64(time.Second))).Round(10 * time.Millisecond).String()
	}
	return Observation{Name: "propagation", Value: "p50 " + at(0.5) + ", p90 " + at(0.9) + ", max " + at(1),
		Detail: fmt.Sprintf("from applying a step to its first matching probe round, over %d passing steps", len(converge)), Measured: true}, true
}
