package reports

import (
	"encoding/json"
	"fmt"
	"time"
)

// Results is the content of results.json, the single source that every report
// is rendered from. `netpolcheck report results.json` renders them again.
type Results struct {
	// Mode is "simulate" (oracle only) or "run" (real packets).
	Mode string `json:"mode"`
	// Cluster names the backend for runs: local, kind, kube.
	Cluster string `json:"cluster,omitempty"`
	// Enforcer is the policy enforcer of a local or kind run (reference,
	// none, kube-network-policies), or of a kind cluster netpolcheck made
	// that certify or --cluster kube ran on.
	Enforcer string `json:"enforcer,omitempty"`
	// Target is how the probes dialled destination pods: "pod" (pod IPs),
	// "service" (each destination pod's ClusterIP), or both, comma-separated
	// ("pod,service"), each cell then saying which (Cell.Target). Empty in
	// simulations.
	Target    string           `json:"target,omitempty"`
	Version   string           `json:"version,omitempty"`
	Started   time.Time        `json:"started"`
	Duration  Seconds          `json:"durationSeconds"`
	Scenarios []ScenarioResult `json:"scenarios"`
	// Probed are the observations of the behaviour probes, which measure
	// with traffic of their own what the cells cannot show (established
	// connections, the enforcer's restart); Behaviour adds them to those
	// read from the cells.
	Probed []Observation `json:"behaviourProbes,omitempty"`
	// DimensionOrder is the canonical order of the dimensions of generated
	// cases and of their values, so that the dimension table lists them the
	// same way in every run; dimensions and values it lacks follow in the
	// order the run met them.
	DimensionOrder []DimensionOrder `json:"dimensionOrder,omitempty"`
}

// DimensionOrder is one dimension's name and its values, in order.
type DimensionOrder struct {
	Name   string   `json:"name"`
	Values []string `json:"values"`
}

// Seconds is a duration written to JSON as fractional seconds.
type Seconds float64

// Status is the outcome of a scenario or a step.
type Status string

// The statuses of scenarios and steps.
const (
	Pass    Status = "pass"
	Fail    Status = "fail"    // an expectation failed: mismatching cells
	Error   Status = "error"   // the scenario could not be run (setup failed, probes errored)
	Skipped Status = "skipped" // nothing could be tested; Error or Skipped says why
)

// Ignored is the run verdict of a loopback cell whose observation differs from
// the oracle: traffic from a pod to itself never reaches an enforcer, and
// upstream ignores such cells too. It is shown, never counted as a failure.
const Ignored Status = "ignored"

// Undefined is the run verdict of a cell the API gives no single verdict
// (its expected outcome is OutcomeUndefined): ClusterNetworkPolicies of one
// tier and one priority decide it differently, and the API leaves their
// order to the implementation. It is shown, never counted as a pass or a
// failure.
const Undefined Status = "undefined"

// ScenarioResult is one scenario's outcome.
type ScenarioResult struct {
	Name        string   `json:"name"`
	Description string   `json:"description,omitempty"`
	Source      string   `json:"source,omitempty"`
	Seed        string   `json:"seed,omitempty"`
	Tags        []string `json:"tags,omitempty"`
	File        string   `json:"file,omitempty"`
	Status      Status   `json:"status"`
	// Error says why a scenario errored, e.g. a setup failure.
	Error    string  `json:"error,omitempty"`
	Duration Seconds `json:"durationSeconds"`
	// Setup is the time to get a cluster ready for the scenario (its
	// namespaces and pods up, or an earlier scenario's cluster reset), and
	// Teardown the time to take it down or hand it on (runs only).
	Setup    Seconds      `json:"setupSeconds,omitempty"`
	Teardown Seconds      `json:"teardownSeconds,omitempty"`
	Steps    []StepResult `json:"steps"`
}

// StepResult is one step's outcome: every cell, and how long the cluster took to converge.
type StepResult struct {
	Name   string `json:"name"`
	Status Status `json:"status"`
	Error  string `json:"error,omitempty"`
	// Policies are the NetworkPolicies in force after the step, as YAML.
	Policies []string `json:"policies,omitempty"`
	// Features names what of the API the step exercises, as the feature
	// table lists it: ingress, egress, ip-block, except, named-port,
	// end-port (of the policies in force), update, delete and relabel (of
	// the change from the step before). UDP and SCTP follow from Ports.
	Features []string `json:"features,omitempty"`
	// Ports are the port/protocol pairs the cells cover, e.g. "80/TCP", in grid order.
	Ports []string `json:"ports,omitempty"`
	// Endpoints are the pods ("ns/pod") and external hosts, in grid order.
	Endpoints []string `json:"endpoints,omitempty"`
	Cells     []Cell   `json:"cells"`
	// CellCount is the number of cells the step covered, also when Cells was
	// omitted: large runs keep the cells of failing steps only (see CellsOmitted).
	CellCount int `json:"cellCount"`
	// CellsOmitted says Cells was left out because the step passed in a run
	// too large to keep every cell (netpolcheck run --cells all keeps them).
	CellsOmitted bool `json:"cellsOmitted,omitempty"`
	// ProtocolCells counts the cells' verdicts per protocol ("TCP", ...), in
	// runs, kept also when Cells is omitted: the feature table must tell a
	// protocol whose every cell was skipped from one that passed.
	ProtocolCells map[string]Tally `json:"protocolCells,omitempty"`
	// Converge is the time from applying the step to the last mismatch going away (runs only).
	Converge Seconds `json:"convergeSeconds,omitempty"`
	// Phases says where the step's time went (runs only).
	Phases  *StepPhases `json:"phases,omitempty"`
	Retries int         `json:"retries,omitempty"`
	// UndefinedCells counts the cells whose verdict the API leaves open (see
	// Undefined), kept also when Cells is omitted.
	UndefinedCells int `json:"undefinedCells,omitempty"`
	// Skipped lists why some cells were skipped, one reason per line.
	Skipped []string `json:"skipped,omitempty"`
	// Blocks counts the step's observed-blocked cells by how they were
	// blocked ("dropped", "refused"), kept also when Cells is omitted.
	Blocks map[How]int `json:"blocks,omitempty"`
	// NamespaceReach sums a simulated step's verdicts per (source namespace,
	// destination namespace), for steps of plain manifests whose cells are
	// too many to show: what the policies allow, at a size one can read.
	NamespaceReach []NamespaceReach `json:"namespaceReach,omitempty"`
	// HandWritten lists cells where the scenario's own expectation disagrees with
	// the oracle: the scenario is then invalid and the step fails.
	HandWritten []HandWrittenMismatch `json:"handWrittenMismatches,omitempty"`

	// explain gives the explanation of a cell that has none yet, when the
	// results are written (see SetExplain).
	explain func(*Cell) (string, error)
}

// SetExplain has the explanations of this step's cells computed when the
// results are written instead of when the step runs: a step of a million
// cells then holds no million strings, and writing results.json streams them.
// Cells that carry an Explanation keep it. An error from explain (the
// explanation contradicts the cell's verdict: a bug of the oracle) fails the
// writing, naming the cell.
func (s *StepResult) SetExplain(explain func(*Cell) (string, error)) { s.explain = explain }

// CellExplanation is the explanation of cell i, computed if the step defers
// its explanations (see SetExplain).
func (s *StepResult) CellExplanation(i int) (string, error) {
	var scratch Cell
	c, err := s.explained(&s.Cells[i], &scratch)
	if err != nil {
		return "", err
	}
	return c.Explanation, nil
}

// explained returns c with its explanation, computing it if need be into
// scratch, so that c itself stays without one.
func (s *StepResult) explained(c, scratch *Cell) (*Cell, error) {
	if c.Explanation != "" || s.explain == nil {
		return c, nil
	}
	text, err := s.explainCell(c)
	if err != nil {
		return nil, err
	}
	*scratch = *c
	scratch.Explanation = text
	return scratch, nil
}

// explainCell computes c's explanation, naming the cell in an error.
func (s *StepResult) explainCell(c *Cell) (string, error) {
	text, err := s.explain(c)
	if err != nil {
		return "", fmt.Errorf("step %q: cell %s -> %s %d/%s: %w", s.Name, c.From, c.To, c.Port, c.Protocol, err)
	}
	return text, nil
}

// MarshalJSON writes the step with every cell's explanation (see SetExplain).
func (s StepResult) MarshalJSON() ([]byte, error) {
	type plain StepResult
	if s.explain != nil && len(s.Cells) > 0 {
		cells := make([]Cell, len(s.Cells))
		for i := range s.Cells {
			c, err := s.explained(&s.Cells[i], &cells[i])
			if err != nil {
				return nil, err
			}
			cells[i] = *c
		}
		s.Cells = cells
	}
	return json.Marshal(plain(s))
}

// Cell is one (source, destination, port, protocol) of a step: what the
// oracle expects, and in a run what the probe observed and the verdict
// CompareCell derives from the two (docs/results.md).
type Cell struct {
	From     string `json:"from"`
	To       string `json:"to"`
	Port     int32  `json:"port"`
	Protocol string `json:"protocol"`
	PortName string `json:"portName,omitempty"`
	// Target is how the destination pod was dialled: "service" through its
	// ClusterIP Service; empty by pod IP, and for every simulated cell.
	Target string `json:"target,omitempty"`
	// Verdict is the run's judgement of the cell; empty in simulate, where
	// nothing is observed.
	Verdict  Status  `json:"verdict,omitempty"`
	Expected Outcome `json:"expected,omitempty"`
	Observed Outcome `json:"observed,omitempty"`
	// Blocked says how an observed-blocked cell was blocked: "dropped" (no
	// answer before the timeout) or "refused" (a reset, a refusal or an ICMP
	// unreachable came back). Either passes an expected-blocked cell.
	Blocked How `json:"blocked,omitempty"`
	// NotByEnforcer marks a blocked observation that the reference enforcer's
	// drop log does not account for: something else blocked the cell (or it
	// answered too slowly), so it proves nothing about the policy.
	NotByEnforcer bool `json:"notByEnforcer,omitempty"`
	// Loopback marks traffic from a pod to itself, which reports may ignore as upstream does.
	Loopback bool `json:"loopback,omitempty"`
	// Explanation is the oracle's account of the verdict: isolation and the deciding rule.
	Explanation string `json:"explanation,omitempty"`
	// Detail is the probe's own account (error text, skip reason).
	Detail string `json:"detail,omitempty"`
	// Reproduce is a command that re-runs this one cell (mismatches only).
	Reproduce string `json:"reproduce,omitempty"`
	// Drops are the enforcer's denied-flow log entries seen for this cell.
	Drops []string `json:"drops,omitempty"`
}

// The targets as cells and results name them.
const (
	TargetPod     = "pod"
	TargetService = "service"
	// TargetDNS cells resolved the destination Service's name through the
	// cluster's DNS first; blocked with "unresolved" when it did not resolve.
	TargetDNS = "dns"
)

// CellTarget is how c's destination was dialled: its own Target, else the
// run's, when the run had only one (results written before cells named it).
func (r *Results) CellTarget(c Cell) string {
	if c.Target != "" {
		return c.Target
	}
	if r.Target == TargetService {
		return TargetService
	}
	return TargetPod
}

// HandWrittenMismatch is a cell where the scenario file's expectation and the oracle disagree.
type HandWrittenMismatch struct {
	From        string  `json:"from"`
	To          string  `json:"to"`
	Port        string  `json:"port"`
	HandWritten Outcome `json:"handWritten"`
	Oracle      Outcome `json:"oracle"`
	Explanation string  `json:"explanation,omitempty"`
}

// NamespaceReach counts the allowed cells from pods of one namespace to pods
// of another (an external host counts as a namespace of its own name).
type NamespaceReach struct {
	From    string `json:"from"`
	To      string `json:"to"`
	Allowed int    `json:"allowed"`
	Cells   int    `json:"cells"`
}

// StepPhases is where a step's time went in a run, in seconds: its changes
// through the cluster's API, the wait for the enforcer to report them in
// force, the health check, then each probe round and the pauses between.
type StepPhases struct {
	Apply  Seconds `json:"applySeconds"`
	Sync   Seconds `json:"syncSeconds,omitempty"`
	Check  Seconds `json:"checkSeconds,omitempty"`
	Rounds []Round `json:"rounds,omitempty"`
	// Backoff is the time spent waiting between rounds.
	Backoff Seconds `json:"backoffSeconds,omitempty"`
}

// Round is one probe round of a step.
type Round struct {
	Seconds Seconds `json:"seconds"`
	// Timeout is the timeout of the round's first probes of cells; cells
	// probed again to confirm a drop use the run's own (runner's timeout.go).
	Timeout Seconds `json:"timeoutSeconds,omitempty"`
	// Cells is how many cells the round probed: all of them first, then
	// the ones not yet settled.
	Cells int `json:"cells"`
	// Slowest is the longest single probe of the round.
	Slowest Seconds `json:"slowestSeconds,omitempty"`
	// TimedOut counts the probes that waited out their whole timeout
	// (blocked by a drop): on most steps they set the round's length.
	TimedOut int `json:"timedOut,omitempty"`
}

// Probe is the time the rounds took together.
func (p *StepPhases) Probe() Seconds {
	var s Seconds
	for _, r := range p.Rounds {
		s += r.Seconds
	}
	return s
}
