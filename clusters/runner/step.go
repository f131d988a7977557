package runner

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/netpolcheck/netpolcheck/clusters"
	"github.com/netpolcheck/netpolcheck/reports"
	"github.com/netpolcheck/netpolcheck/scenarios"
	"github.com/netpolcheck/netpolcheck/scenarios/truth"
)

// runStep applies one step, then simulates or probes it. applied is false
// when the step's changes could not be carried out.
func (sc *ScenarioRun) runStep(ctx context.Context, index int) (res reports.StepResult, applied bool) {
	step := sc.scenario.Steps[index]
	sc.stepIndex = index
	res = reports.StepResult{Name: step.Name, Status: reports.Pass}
	appliedAt := time.Now()
	// Simulation has no phases: it times into a struct no result holds.
	phases := &reports.StepPhases{}
	if sc.cluster != nil {
		res.Phases = phases
	}
	for j, action := range step.Actions {
		if err := sc.apply(ctx, action); err != nil {
			res.Status, res.Error = reports.Error, fmt.Sprintf("actions[%d]: %v", j, err)
			return res, false
		}
	}
	phases.Apply = since(appliedAt)
	if s, ok := sc.cluster.(clusters.Syncer); ok {
		// Enforcers report when the step's policies are in force; the
		// convergence bound still covers whatever they do not report.
		began := time.Now()
		if err := s.Sync(ctx); err != nil {
			res.Status, res.Error = reports.Error, fmt.Sprintf("wait for enforcement: %v", err)
			return res, false
		}
		phases.Sync = since(began)
	}
	if h, ok := sc.cluster.(clusters.HealthChecker); ok {
		// An enforcer that is gone would fail every cell it should block,
		// each after the whole convergence time: say what is wrong instead.
		began := time.Now()
		if err := h.CheckEnforcer(ctx); err != nil {
			res.Status, res.Error = reports.Error, fmt.Sprintf("enforcer check before probing: %v", err)
			return res, false
		}
		phases.Check = since(began)
	}
	w := sc.state.World()
	table := truth.Compute(w)
	describeStep(&res, w, table)
	shape := shapeOf(w, res.Endpoints)
	res.Features = stepFeatures(w, shape, sc.prevShape)
	sc.prevShape = shape
	res.HandWritten = checkHandWritten(step.Expect, w, table)
	res.Skipped = append(res.Skipped, peersNotJudged(w)...)

	res.CellCount, res.UndefinedCells = countCells(table)
	defer func() {
		// What the input held but the model left out, on every step.
		res.Skipped = append(res.Skipped, sc.scenario.Skipped...)
	}()
	if sc.cluster == nil {
		if len(res.HandWritten) > 0 {
			res.Status = reports.Fail
		}
		if sc.keepPassing || res.Status != reports.Pass {
			res.Cells = simulatedCells(table)
			// Explained when written: the explanations of a large step
			// would otherwise be most of the run's memory.
			x := truth.NewExplainer(w)
			res.SetExplain(func(c *reports.Cell) (string, error) { return explainChecked(x, c) })
		} else {
			res.CellsOmitted = true
			if step.Name == scenarios.ManifestStepName && step.Expect == nil {
				// Plain manifests ask what the policies allow: answer at a readable size.
				res.NamespaceReach = namespaceReach(table)
			}
		}
		sc.progress.stepDone(sc.scenario.Name, index, len(sc.scenario.Steps), res)
		return res, true
	}
	sc.probeStep(ctx, &res, w, table, appliedAt)
	if !sc.keepPassing && res.Status == reports.Pass {
		res.Cells, res.CellsOmitted = nil, true
	}
	sc.progress.stepDone(sc.scenario.Name, index, len(sc.scenario.Steps), res)
	return res, true
}

// countCells counts a table's cells, and those whose verdict the API leaves open.
func countCells(table *truth.TruthTable) (cells, undefined int) {
	for c := range table.Cells() {
		cells++
		if c.Undefined {
			undefined++
		}
	}
	return cells, undefined
}

// apply resolves one action against the state, carries it out on the
// cluster, and only then commits it, so the state never runs ahead of the cluster.
func (sc *ScenarioRun) apply(ctx context.Context, action scenarios.Action) error {
	change, err := sc.state.Resolve(action)
	if err != nil {
		return err
	}
	switch change.Kind {
	case scenarios.AddPod, scenarios.AddNamespace:
		// The cluster no longer holds the model it was set up with.
		sc.reshaped = true
	case scenarios.RemovePod, scenarios.RemoveNamespace:
		sc.reshaped = true
		sc.removedModel = sc.removedModel || sc.holds(change)
	}
	var addrs clusters.Addresses
	if sc.cluster != nil {
		if addrs, err = sc.cluster.Apply(ctx, change); err != nil {
			return fmt.Errorf("apply %s: %w", change.Kind, err)
		}
	}
	if err := sc.state.Commit(change); err != nil {
		return err
	}
	if len(addrs) > 0 {
		sc.state.SetAddresses(addrs)
	}
	return nil
}

// describeStep records the step's endpoints, ports and policies, in grid order.
func describeStep(res *reports.StepResult, w *scenarios.World, table *truth.TruthTable) {
	for _, e := range table.Endpoints {
		res.Endpoints = append(res.Endpoints, e.ID)
	}
	seen := map[scenarios.Port]bool{}
	var ports []scenarios.Port
	for _, t := range table.Targets {
		p := scenarios.Port{Port: t.Port.Port, Protocol: t.Port.Protocol}
		if !seen[p] {
			seen[p] = true
			ports = append(ports, p)
		}
	}
	sort.Slice(ports, func(i, j int) bool {
		if ports[i].Protocol != ports[j].Protocol {
			return ports[i].Protocol < ports[j].Protocol
		}
		return ports[i].Port < ports[j].Port
	})
	for _, p := range ports {
		res.Ports = append(res.Ports, p.String())
	}
	res.Policies = append(policiesYAML(w.Policies), clusterPoliciesYAML(w.ClusterPolicies)...)
}

// simulatedCells are the oracle's verdicts.
func simulatedCells(table *truth.TruthTable) []reports.Cell {
	n, _ := countCells(table)
	cells := make([]reports.Cell, 0, n)
	for c := range table.Cells() {
		cell := newCell(table, c)
		cell.Expected = expectedOutcome(c.Allowed, c.Undefined)
		cells = append(cells, cell)
	}
	return cells
}

func newCell(table *truth.TruthTable, c truth.Cell) reports.Cell {
	target := table.Targets[c.Target]
	return reports.Cell{
		From:     table.Endpoints[c.Source].ID,
		To:       table.Endpoints[target.Endpoint].ID,
		Port:     target.Port.Port,
		Protocol: string(target.Port.Protocol),
		PortName: target.Port.Name,
		Loopback: c.Loopback,
	}
}

// explainChecked explains a simulated cell and checks the explanation
// against the cell's verdict, which Compute gave: the two are written apart
// (Explain walks policies cell by cell, Compute works on sets), so a
// disagreement is a bug of the oracle, never an answer.
func explainChecked(x *truth.Explainer, c *reports.Cell) (string, error) {
	text, allowed, err := x.ExplainString(c.From, c.To, c.Port, scenarios.Protocol(c.Protocol))
	if err != nil {
		return "", err
	}
	explained := reports.OutcomeOf(allowed)
	if strings.HasPrefix(text, string(reports.OutcomeUndefined)+":") {
		explained = reports.OutcomeUndefined
	}
	if explained != c.Expected {
		return "", fmt.Errorf("the oracle contradicts itself: Compute says %s, Explain says %s", c.Expected, text)
	}
	return text, nil
}

func explain(x *truth.Explainer, c reports.Cell) string {
	text, _, err := x.ExplainString(c.From, c.To, c.Port, scenarios.Protocol(c.Protocol))
	if err != nil {
		return err.Error()
	}
	return text
}

// namespaceReach sums the table's verdicts per pair of namespaces, in the
// order namespaces first appear among the endpoints.
func namespaceReach(table *truth.TruthTable) []reports.NamespaceReach {
	group := make([]int, len(table.Endpoints))
	var names []string
	index := map[string]int{}
	for i, e := range table.Endpoints {
		name := e.ID
		if e.Pod != nil {
			name = e.Pod.Namespace
		}
		g, ok := index[name]
		if !ok {
			g = len(names)
			index[name] = g
			names = append(names, name)
		}
		group[i] = g
	}
	n := len(names)
	allowed, cells := make([]int, n*n), make([]int, n*n)
	for c := range table.Cells() {
		k := group[c.Source]*n + group[table.Targets[c.Target].Endpoint]
		cells[k]++
		if c.Allowed {
			allowed[k]++
		}
	}
	var out []reports.NamespaceReach
	for k := range cells {
		if cells[k] > 0 {
			out = append(out, reports.NamespaceReach{From: names[k/n], To: names[k%n], Allowed: allowed[k], Cells: cells[k]})
		}
	}
	return out
}

// since is the time from t until now, as results record it.
func since(t time.Time) reports.Seconds { return reports.Seconds(time.Since(t).Seconds()) }
