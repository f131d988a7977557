package runner

import (
	"github.com/netpolcheck/netpolcheck/reports"
	"github.com/netpolcheck/netpolcheck/scenarios"
	"github.com/netpolcheck/netpolcheck/scenarios/truth"
)

// checkHandWritten compares a step's hand-written expectation with the
// oracle, cell by cell. Loopback cells are not compared, as upstream ignores them.
func checkHandWritten(expect *scenarios.Expectation, w *scenarios.World, table *truth.TruthTable) []reports.HandWrittenMismatch {
	if expect == nil {
		return nil
	}
	expected, err := scenarios.CompileExpectedCells(expect, w)
	if err != nil {
		return []reports.HandWrittenMismatch{{HandWritten: "invalid", Oracle: "-", Explanation: err.Error()}}
	}
	var out []reports.HandWrittenMismatch
	x := truth.NewExplainer(w)
	for c := range table.Cells() {
		if c.Loopback {
			continue
		}
		cell := newCell(table, c)
		port := scenarios.Port{Name: cell.PortName, Port: cell.Port, Protocol: scenarios.Protocol(cell.Protocol)}
		hand := expected(cell.From, cell.To, port)
		if hand.Undefined == c.Undefined && (c.Undefined || hand.Allowed == c.Allowed) {
			continue
		}
		out = append(out, reports.HandWrittenMismatch{
			From: cell.From, To: cell.To, Port: port.String(),
			HandWritten: expectedOutcome(hand.Allowed, hand.Undefined), Oracle: expectedOutcome(c.Allowed, c.Undefined),
			Explanation: explain(x, cell),
		})
	}
	return out
}

// expectedOutcome is the oracle's outcome of a cell: allowed, blocked or
// undefined.
func expectedOutcome(allowed, undefined bool) reports.Outcome {
	if undefined {
		return reports.OutcomeUndefined
	}
	return reports.OutcomeOf(allowed)
}
