package reports

// Outcome is what a cell's traffic does: what the oracle expects of it, or
// what its probe observed.
type Outcome string

// The outcomes. Error and skipped are observed only; undefined is expected
// only.
const (
	OutcomeAllowed Outcome = "allowed"
	OutcomeBlocked Outcome = "blocked"
	// OutcomeError: the probe could not run (never read as blocked).
	OutcomeError Outcome = "error"
	// OutcomeSkipped: the backend cannot carry the cell; Detail says why.
	OutcomeSkipped Outcome = "skipped"
	// OutcomeUndefined: the API gives the cell no single verdict.
	OutcomeUndefined Outcome = "undefined"
)

// OutcomeOf is the oracle's outcome of a cell it allows or not.
func OutcomeOf(allowed bool) Outcome {
	if allowed {
		return OutcomeAllowed
	}
	return OutcomeBlocked
}

// How says how an observed-blocked cell was blocked (Cell.Blocked,
// StepResult.Blocks).
type How string

// The ways a cell is blocked. Either passes an expected-blocked cell, unless
// a Deny must drop.
const (
	// BlockedDropped: no answer came before the timeout.
	BlockedDropped How = "dropped"
	// BlockedRefused: a reset, a refusal or an ICMP unreachable came back.
	BlockedRefused How = "refused"
	// BlockedUnresolved: probing by DNS name, the name did not resolve (the
	// query got no answer), so nothing was dialled.
	BlockedUnresolved How = "unresolved"
)

// Probed is what a run learnt of one cell, beyond its outcome, that
// bears on the verdict.
type Probed struct {
	Outcome Outcome
	Blocked How
	// Loopback: traffic from a pod to itself, which no enforcer sees.
	Loopback bool
	// RefusedDeny: refused, where a ClusterNetworkPolicy Deny decided the
	// cell and the run wants a Deny to drop (--deny-must-drop).
	RefusedDeny bool
	// Undropped: blocked, but the cluster's drop log, which logs every drop
	// of its enforcer, has none for the cell: something slow, not policy.
	Undropped bool
}

// CompareCell is a probed cell's verdict: the oracle's expected outcome
// against the observation. It is pure, so every rule of judgement is here
// and table-tested on its own:
//   - a cell the backend could not carry is skipped;
//   - loopback traffic is judged, but a mismatch is ignored, as upstream
//     ignores it (an error is still an error);
//   - a probe that could not run is an error, never blocked;
//   - a cell the API leaves undefined is shown, not judged;
//   - otherwise the outcomes must match, and a blocked observation passes
//     only if blocked as the run demands (dropped by a Deny that must drop,
//     and seen in the drop log where the cluster keeps one).
func CompareCell(expected Outcome, o Probed) Status {
	switch {
	case o.Outcome == OutcomeSkipped:
		return Skipped
	case o.Outcome == OutcomeError:
		return Error
	case o.Loopback:
		if o.Outcome == expected {
			return Pass
		}
		return Ignored
	case expected == OutcomeUndefined:
		return Undefined
	case o.Outcome != expected:
		return Fail
	case o.Outcome == OutcomeBlocked && (o.RefusedDeny || o.Undropped):
		return Fail
	case o.Outcome == OutcomeAllowed || o.Outcome == OutcomeBlocked:
		return Pass
	}
	return Error
}

// Settled tells whether a verdict needs no more probing: the cell matched,
// or it is shown rather than judged. A failed or errored cell is probed
// again until the step's convergence time has passed.
func (s Status) Settled() bool {
	switch s {
	case Pass, Ignored, Undefined, Skipped:
		return true
	}
	return false
}
