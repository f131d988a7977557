package runner

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/netpolcheck/netpolcheck/clusters"
	"github.com/netpolcheck/netpolcheck/probes"
	"github.com/netpolcheck/netpolcheck/reports"
	"github.com/netpolcheck/netpolcheck/scenarios"
	"github.com/netpolcheck/netpolcheck/scenarios/truth"
)

// probeCell is one cell under test: what the oracle expects and what was seen.
type probeCell struct {
	cell     reports.Cell
	expected reports.Outcome
	job      probes.Job
	result   probes.Result
	skip     string // reason the backend cannot carry this cell
	// refusedDeny names the ClusterNetworkPolicy Deny rule that decided a
	// cell whose probe was refused, with Options.DenyMustDrop: a Deny drops.
	refusedDeny string
	// undropped marks a blocked result the cluster's drop log cannot account
	// for: on a cluster that logs drops, that is a slow answer, not policy.
	undropped bool
	// query is, for a probe by DNS name, its query to the cluster DNS.
	query probes.Job
	// unconfirmed marks a cell whose probe waited out a timeout shorter than
	// the run's with no drop logged to settle it; confirm probes it again
	// with the run's timeout from then on (timeout.go).
	unconfirmed, confirm bool
	// twins are the same truth cell probed by the other targets (pod IP,
	// Service, DNS name): policy judges pods, so all must agree (disputed).
	twins []*probeCell
}

// disputed tells whether the cell reads blocked while a twin with the same
// expectation was answered: a Service path that kube-proxy has not
// programmed yet refuses, and on a cluster that enforces nothing that
// transient would otherwise settle an expected-blocked cell as passed. Such
// a cell is probed again while its twin is, which on an enforcer that agrees
// with itself costs no round: the answered twin is unsettled anyway.
func (p *probeCell) disputed() bool {
	if p.skip != "" || p.cell.Loopback || p.result.Outcome != probes.Blocked {
		return false
	}
	return slices.ContainsFunc(p.twins, func(t *probeCell) bool {
		return t.skip == "" && t.expected == p.expected && t.result.Outcome == probes.Allowed
	})
}

// observed is what the probe saw, in the words of reports.
func (p *probeCell) observed() reports.Probed {
	o := reports.Probed{Loopback: p.cell.Loopback, RefusedDeny: p.refusedDeny != "", Undropped: p.undropped}
	switch {
	case p.skip != "":
		o.Outcome = reports.OutcomeSkipped
	case p.result.Outcome == probes.Allowed:
		o.Outcome = reports.OutcomeAllowed
	case p.result.Outcome == probes.Blocked:
		o.Outcome, o.Blocked = reports.OutcomeBlocked, reports.BlockedDropped
		switch p.result.Blocked {
		case probes.Refused:
			o.Blocked = reports.BlockedRefused
		case probes.Unresolved:
			o.Blocked = reports.BlockedUnresolved
		}
	case p.result.Outcome == probes.Skipped:
		o.Outcome = reports.OutcomeSkipped
	default:
		// An error, or no answer at all: never read as blocked.
		o.Outcome = reports.OutcomeError
	}
	return o
}

// dropped is the traffic whose drop blocked the cell: the probe's own, or
// for a probe by name that did not resolve, its query to the cluster DNS.
func (p *probeCell) dropped() probes.Job {
	if p.job.Target != probes.TargetDNS || p.result.Blocked != probes.Unresolved {
		return p.job
	}
	return p.query
}

// verdict is the cell's verdict as things stand (reports.CompareCell).
func (p *probeCell) verdict() reports.Status { return reports.CompareCell(p.expected, p.observed()) }

// settled tells whether the cell needs no more probing (reports.Status.Settled).
func (p *probeCell) settled() bool { return p.verdict().Settled() }

// probeStep probes every cell, then re-probes only the unsettled ones with
// backoff until they settle or opts.Converge has passed since the step was applied.
func (sc *ScenarioRun) probeStep(ctx context.Context, res *reports.StepResult, w *scenarios.World, table *truth.TruthTable, applied time.Time) {
	cells := sc.plan(w, table)
	pending := make([]*probeCell, 0, len(cells))
	for _, c := range cells {
		if c.skip == "" {
			pending = append(pending, c)
		}
	}
	deadline := applied.Add(sc.opts.Converge)
	backoff := 100 * time.Millisecond
	dropLog, logsDrops := sc.cluster.(clusters.DropReporter)
	// A short timeout only pays where blocked probes wait theirs out.
	ender, endsDrops := sc.cluster.(clusters.DropEnder)
	adaptive := logsDrops && sc.opts.answers != nil && !(endsDrops && ender.EndsDroppedProbes())
	var explainer *truth.Explainer // made for the first refused cell DenyMustDrop asks about
	for round, final := 0, false; len(pending) > 0; round++ {
		if round > 0 {
			waited := time.Now()
			if time.Now().Add(backoff).After(deadline) {
				// Out of time: a cell a short timeout left unconfirmed still
				// gets one round at the run's timeout before its verdict.
				pending = slices.DeleteFunc(pending, func(c *probeCell) bool { return !c.unconfirmed })
				if final || len(pending) == 0 {
					break
				}
				final = true
			} else if slices.ContainsFunc(pending, func(c *probeCell) bool { return !c.unconfirmed }) {
				// A round only confirming short timeouts has nothing to wait for.
				if sleep(ctx, backoff) != nil {
					break
				}
				backoff = min(2*backoff, time.Second)
			}
			res.Phases.Backoff += since(waited)
			res.Retries++
		}
		timeout := sc.opts.ProbeTimeout
		if adaptive {
			timeout = sc.opts.answers.timeout(sc.opts.ProbeTimeout)
		}
		jobs := make([]probes.Job, len(pending))
		for i, c := range pending {
			c.job.Timeout = timeout
			if c.confirm {
				c.job.Timeout = sc.opts.ProbeTimeout
			}
			jobs[i] = c.job
		}
		began := time.Now()
		results, err := sc.cluster.Probe(ctx, jobs)
		res.Phases.Rounds = append(res.Phases.Rounds, roundOf(since(began), timeout, results))
		if err != nil {
			res.Status, res.Error = reports.Error, fmt.Sprintf("probe: %v", err)
			return
		}
		if len(results) != len(jobs) {
			res.Status, res.Error = reports.Error, fmt.Sprintf("probe: backend returned %d results for %d jobs", len(results), len(jobs))
			return
		}
		if adaptive {
			sc.opts.answers.record(results)
		}
		for i, c := range pending {
			c.result = results[i]
			if c.result.Outcome == probes.Skipped {
				// The backend found it cannot carry this one cell, e.g. from
				// an external host that cannot send probes: skip, never retry.
				c.skip = c.result.Detail
				if c.skip == "" {
					c.skip = "the cluster cannot carry this cell"
				}
			}
			// A timeout only counts as the policy's when the enforcer logged
			// the drop, so that a slow answer never passes for a blocked cell.
			logged := logsDrops && c.result.Outcome == probes.Blocked && len(dropLog.Drops(c.dropped())) > 0
			c.undropped = logsDrops && c.expected == reports.OutcomeBlocked && !c.cell.Loopback && c.result.Outcome == probes.Blocked && !logged
			c.unconfirmed = c.job.Timeout < sc.opts.ProbeTimeout && timedOut(c.result) && !(c.expected == reports.OutcomeBlocked && logged)
			c.confirm = c.confirm || c.unconfirmed
			c.refusedDeny = ""
			if sc.opts.DenyMustDrop && c.expected == reports.OutcomeBlocked && c.result.Outcome == probes.Blocked && c.result.Blocked == probes.Refused {
				if explainer == nil {
					explainer = truth.NewExplainer(w)
				}
				c.refusedDeny = denyingRule(explainer, c.job)
			}
		}
		pending = stillPending(pending)
	}
	res.Converge = reports.Seconds(time.Since(applied).Seconds())
	sc.record(res, w, cells)
}

// stillPending is what the next round probes: the cells just probed that are
// unsettled or unconfirmed, and any cell, probed now or settled before, that
// a twin disputes.
func stillPending(probed []*probeCell) []*probeCell {
	var next []*probeCell
	seen := map[*probeCell]bool{}
	add := func(c *probeCell) {
		if !seen[c] {
			seen[c] = true
			next = append(next, c)
		}
	}
	for _, c := range probed {
		if c.unconfirmed || !c.settled() || c.disputed() {
			add(c)
		}
		for _, t := range c.twins {
			if t.disputed() {
				add(t)
			}
		}
	}
	return next
}

// plan makes one probe job per cell and target (by pod IP, through the
// destination's Service: see clusters.Capabilities.Targets), marking the
// cells the backend cannot carry.
func (sc *ScenarioRun) plan(w *scenarios.World, table *truth.TruthTable) []*probeCell {
	timeout := sc.opts.ProbeTimeout
	via := sc.caps.ProbeTargets()
	resolver := ""
	if slices.Contains(via, probes.TargetDNS) {
		resolver = clusterDNS(table)
	}
	var cells []*probeCell
	for c := range table.Cells() {
		target := table.Targets[c.Target]
		src, dst := table.Endpoints[c.Source], table.Endpoints[target.Endpoint]
		first := len(cells)
		for _, t := range via {
			// Only pods have Services, and only pods dial them: a
			// ClusterIP means nothing outside the cluster.
			if t != probes.TargetPod && (src.External != nil || dst.External != nil) {
				continue
			}
			pc := &probeCell{cell: newCell(table, c), expected: expectedOutcome(c.Allowed, c.Undefined)}
			pc.job = probes.Job{
				From: src.ID, To: dst.ID, Host: dst.IP, Port: target.Port.Port,
				Protocol: string(target.Port.Protocol), Expect: dst.ID, Timeout: timeout, Target: t,
			}
			if t != probes.TargetPod {
				pc.cell.Target = string(t)
			}
			if t == probes.TargetDNS {
				pc.job.Resolver = resolver
				pc.expected = byName(resolution(table, src.ID, resolver), pc.expected)
				pc.query = probes.Job{From: src.ID, To: resolver, Host: endpointIP(table, resolver), Port: dnsPort,
					Protocol: string(scenarios.UDP), Expect: resolver, Timeout: timeout, Target: probes.TargetService}
			}
			switch {
			case t == probes.TargetDNS && resolver == "":
				pc.skip = noClusterDNS
			case t == probes.TargetDNS && src.ID == resolver:
				pc.skip = resolverSelf
			case target.Port.Protocol == scenarios.SCTP && !sc.caps.SCTP:
				pc.skip = "SCTP: " + sc.caps.SCTPReason
			case (src.External != nil || dst.External != nil) && !sc.caps.ExternalHosts:
				pc.skip = "external host: " + sc.caps.ExternalHostsReason
			}
			cells = append(cells, pc)
		}
		for _, pc := range cells[first:] {
			for _, twin := range cells[first:] {
				if twin != pc {
					pc.twins = append(pc.twins, twin)
				}
			}
		}
	}
	return cells
}

// record turns probed cells into report cells and sets the step's status.
func (sc *ScenarioRun) record(res *reports.StepResult, w *scenarios.World, cells []*probeCell) {
	skipped := map[string]bool{}
	var mismatches, errored int
	var explainer *truth.Explainer // made for the first cell that needs one
	res.Cells = make([]reports.Cell, 0, len(cells))
	for _, c := range cells {
		cell := c.cell
		o := c.observed()
		cell.Expected, cell.Observed, cell.Verdict = c.expected, o.Outcome, c.verdict()
		if c.skip != "" {
			cell.Detail = c.skip
			skipped[c.skip] = true
		} else {
			cell.Detail = c.result.Detail
		}
		if o.Outcome == reports.OutcomeBlocked {
			cell.Blocked = o.Blocked
			if res.Blocks == nil {
				res.Blocks = map[reports.How]int{}
			}
			res.Blocks[cell.Blocked]++
		}
		switch cell.Verdict {
		case reports.Ignored:
			// Traffic to self never leaves the pod, so no CNI can filter it; upstream ignores it too.
			cell.Detail = "loopback: traffic from a pod to itself is not subject to enforcement; ignored as upstream does"
		case reports.Error:
			errored++
		case reports.Fail:
			mismatches++
			if c.refusedDeny != "" {
				cell.Detail = strings.TrimPrefix(cell.Detail+"; refused, but "+c.refusedDeny+" denies it, and a Deny must drop (--deny-must-drop, as the network-policy-api conformance suite wants)", "; ")
			}
			if c.undropped {
				cell.NotByEnforcer = true
				cell.Detail = strings.TrimPrefix(cell.Detail+"; the enforcer logged no drop for it, so the policy did not block it", "; ")
			}
		}
		if cell.Verdict == reports.Fail || cell.Verdict == reports.Error || sc.opts.Explain {
			if explainer == nil {
				explainer = truth.NewExplainer(w)
			}
			cell.Explanation = explain(explainer, cell)
			if c.job.Target == probes.TargetDNS {
				query := cell
				query.To, query.Port, query.Protocol = c.job.Resolver, dnsPort, string(scenarios.UDP)
				cell.Explanation = "resolving the name (" + c.job.Resolver + " 53/UDP): " + explain(explainer, query) + "\nconnecting: " + cell.Explanation
			}
		}
		if cell.Verdict == reports.Fail || cell.Verdict == reports.Error {
			if r, ok := sc.cluster.(clusters.Reproducer); ok {
				cell.Reproduce = r.Reproduce(c.job)
			} else {
				cell.Reproduce = reproduceCommand(sc.scenario, sc.opts.Backend.Name(), sc.stepIndex, cell)
			}
		}
		if wantsDrops(cell) {
			if r, ok := sc.cluster.(clusters.DropReporter); ok {
				cell.Drops = r.Drops(c.dropped())
			}
		}
		res.Cells = append(res.Cells, cell)
	}
	res.ProtocolCells = reports.TallyByProtocol(res.Cells)
	for reason := range skipped {
		res.Skipped = append(res.Skipped, reason)
	}
	slices.Sort(res.Skipped)
	switch {
	case mismatches > 0:
		res.Status = reports.Fail
		res.Error = fmt.Sprintf("%d cells differ from the truth table after %.1fs", mismatches, float64(res.Converge))
	case errored > 0:
		res.Status = reports.Error
		res.Error = fmt.Sprintf("%d cells could not be probed", errored)
	case len(skipped) > 0 && len(cells) == countSkipped(cells):
		res.Status = reports.Skipped
	}
}

// wantsDrops tells the cells whose drop log entries are worth showing: the
// wrong ones, and the blocked ones, which show the drop that blocked them.
func wantsDrops(cell reports.Cell) bool {
	switch cell.Verdict {
	case reports.Fail, reports.Error:
		return true
	case reports.Skipped:
		return false
	}
	return cell.Expected != reports.OutcomeAllowed
}

func countSkipped(cells []*probeCell) int {
	n := 0
	for _, c := range cells {
		if c.skip != "" {
			n++
		}
	}
	return n
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// roundOf summarizes one probe round: its length, its probes' timeout, its
// cells, its slowest probe and the probes that waited out their timeout.
func roundOf(took reports.Seconds, timeout time.Duration, results []probes.Result) reports.Round {
	r := reports.Round{Seconds: took, Timeout: reports.Seconds(timeout.Seconds()), Cells: len(results)}
	for _, res := range results {
		r.Slowest = max(r.Slowest, reports.Seconds(res.Elapsed.Seconds()))
		// A probe the enforcer's drop log ended early waited out nothing.
		if timedOut(res) && res.Elapsed >= res.Job.Timeout {
			r.TimedOut++
		}
	}
	return r
}

// timedOut tells a probe that waited out its timeout: no answer to the
// connection, or to the name's query.
func timedOut(r probes.Result) bool {
	return r.Outcome == probes.Blocked && (r.Blocked == probes.Dropped || r.Blocked == probes.Unresolved)
}

// denyingRule names the ClusterNetworkPolicy Deny rule that blocks the
// job's cell, on either side, or "" when the cell is blocked otherwise
// (NetworkPolicy isolation, which may refuse).
func denyingRule(x *truth.Explainer, j probes.Job) string {
	e, err := x.Explain(j.From, j.To, j.Port, scenarios.Protocol(j.Protocol))
	if err != nil {
		return ""
	}
	for _, side := range []truth.Side{e.Egress, e.Ingress} {
		t := side.Tiers
		if t == nil || side.Allowed {
			continue
		}
		for _, r := range []*truth.ClusterRuleRef{t.Admin, t.Baseline} {
			if r != nil && r.Action == "Deny" && r.Tier == t.DecidedBy {
				return r.String()
			}
		}
	}
	return ""
}
