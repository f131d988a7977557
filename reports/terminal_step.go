package reports

import "fmt"

// step writes one step: its status and convergence, its error, the grids, the
// hand-written mismatches, the wrong and errored cells, and the skip reasons.
func (t *terminalReport) step(n, total int, st StepResult) {
	wrong, errored := cellsWithVerdict(st, Fail), cellsWithVerdict(st, Error)
	mismatching := len(wrong) > 0 || len(errored) > 0
	header := fmt.Sprintf("step %d/%d %q: %s", n, total, st.Name, t.status(st.Status, 0))
	if !t.simulate && (mismatching || st.Converge > 0 || st.Retries > 0) {
		header += fmt.Sprintf(", converge %s, %s", seconds(st.Converge), plural(st.Retries, "retry", "retries"))
	}
	t.line("  ", "%s", header)
	const indent = "    "
	t.lines(indent, fieldLines(problemLabel(st.Status), st.Error))
	if line := blocksLine(st.Blocks); line != "" {
		t.line(indent, "%s", line)
	}
	if st.UndefinedCells > 0 {
		t.line(indent, "%s undefined (U): ClusterNetworkPolicies of one tier and priority decide them differently, and the API leaves their order open; not counted as pass or fail", plural(st.UndefinedCells, "cell", "cells"))
		for i, c := range cellsWithVerdict(st, Status(Undefined)) {
			if i == 3 {
				t.line(indent+"  ", "... (netpolcheck explain gives any cell)")
				break
			}
			t.lines(indent+"  ", cellAccount(t.mode, c))
		}
	}
	switch {
	case st.CellsOmitted && len(st.NamespaceReach) > 0:
		t.line(indent, "%d cells, too many for grids (--cells all keeps them; netpolcheck explain gives one cell)", st.CellCount)
	case st.CellsOmitted && t.verbose:
		t.line(indent, "all %d cells matched; grids left out of this large run (--cells all keeps them)", st.CellCount)
	}
	t.grids(st, mismatching)
	t.namespaceReach(st.NamespaceReach)
	t.handWritten(st.HandWritten)
	if len(wrong) > 0 {
		t.line(indent, "wrong cells:")
		for _, c := range wrong {
			t.lines(indent+"  ", cellAccount(t.mode, c))
		}
	}
	if len(errored) > 0 {
		t.line(indent, "errored cells:")
		for _, c := range errored {
			t.lines(indent+"  ", cellAccount(t.mode, c))
		}
	}
	for _, reason := range skipReasons(st) {
		t.line(indent, "skipped: %s", reason)
	}
}

// grids writes the grids a step deserves. In simulate: the verdicts, when the
// step failed or with Verbose. In run: expected, observed and comparison when
// a cell failed or errored; expected and observed with Verbose.
func (t *terminalReport) grids(st StepResult, mismatching bool) {
	if t.simulate {
		if !t.verbose && st.Status == Pass && len(st.HandWritten) == 0 {
			return
		}
		contradicted := map[[3]string]bool{}
		for _, h := range st.HandWritten {
			contradicted[[3]string{h.From, h.To, h.Port}] = true
		}
		for _, g := range stepGrids(st) {
			t.grid("verdicts", g, func(c Cell) styled {
				s := styled{text: outcomeGlyph(c.Expected)}
				if contradicted[[3]string{c.From, c.To, g.port}] {
					s.color = colorRed
				}
				return s
			})
		}
		return
	}
	if !mismatching && !t.verbose {
		return
	}
	for _, g := range stepGrids(st) {
		t.grid("expected", g, func(c Cell) styled { return styled{text: outcomeGlyph(c.Expected)} })
		t.grid("observed", g, func(c Cell) styled {
			s := styled{text: outcomeGlyph(c.Observed), color: glyphColor(outcomeGlyph(c.Observed))}
			if c.Verdict == Fail {
				s.color = colorRed
			}
			return s
		})
		if mismatching {
			t.grid("comparison", g, func(c Cell) styled {
				glyph := verdictGlyph(c.Verdict)
				if glyph == glyphMismatch {
					return styled{text: glyph, color: colorRed}
				}
				return styled{text: glyph, color: glyphColor(glyph)}
			})
		}
	}
}

// glyphColor paints the glyphs that are neither allowed nor blocked.
func glyphColor(glyph string) string {
	switch glyph {
	case glyphError:
		return colorMagenta
	case glyphSkipped, glyphMissing:
		return colorYellow
	}
	return ""
}

// grid writes one grid in the upstream e2e layout: a header of destinations
// after "-", then a row per source. A pair without a cell shows "?".
func (t *terminalReport) grid(title string, g grid, glyph func(Cell) styled) {
	t.line("    ", "%s %s:", g.port, title)
	header := []styled{{text: "-"}}
	for _, to := range g.tos {
		header = append(header, styled{text: to})
	}
	rows := [][]styled{header}
	for _, from := range g.froms {
		row := []styled{{text: from}}
		for _, to := range g.tos {
			c, ok := g.cell(from, to)
			if !ok {
				row = append(row, styled{text: glyphMissing, color: colorYellow})
				continue
			}
			row = append(row, glyph(c))
		}
		rows = append(rows, row)
	}
	t.table("      ", rows)
}

// handWritten writes, as a table, the cells where the scenario's own
// expectation and the oracle disagree.
func (t *terminalReport) handWritten(mismatches []HandWrittenMismatch) {
	if len(mismatches) == 0 {
		return
	}
	t.line("    ", "hand-written expectations the oracle contradicts:")
	rows := [][]styled{{{text: "FROM"}, {text: "TO"}, {text: "PORT"}, {text: "HAND-WRITTEN"}, {text: "ORACLE"}, {text: "EXPLANATION"}}}
	for _, h := range mismatches {
		rows = append(rows, []styled{
			{text: h.From}, {text: h.To}, {text: h.Port},
			{text: orUnknown(string(h.HandWritten)), color: colorRed}, {text: orUnknown(string(h.Oracle))}, {text: h.Explanation},
		})
	}
	t.table("      ", rows)
}

// namespaceReach writes a grid of namespaces: "." when every cell from the
// row's pods to the column's is allowed, "X" when none is, else the allowed
// share in percent.
func (t *terminalReport) namespaceReach(reach []NamespaceReach) {
	if len(reach) == 0 {
		return
	}
	var names []string
	seen := map[string]bool{}
	cell := map[[2]string]NamespaceReach{}
	for _, r := range reach {
		for _, n := range []string{r.From, r.To} {
			if !seen[n] {
				seen[n] = true
				names = append(names, n)
			}
		}
		cell[[2]string{r.From, r.To}] = r
	}
	const indent = "    "
	t.line(indent, "allowed by namespace (rows: from, columns: to; . all allowed, X none, else the allowed share):")
	width := 1
	for _, n := range names {
		width = max(width, len(n))
	}
	colWidth := 4
	for _, n := range names {
		colWidth = max(colWidth, len(n))
	}
	header := fmt.Sprintf("%-*s", width, "-")
	for _, n := range names {
		header += fmt.Sprintf(" %*s", colWidth, n)
	}
	t.line(indent+"  ", "%s", header)
	for _, from := range names {
		row := fmt.Sprintf("%-*s", width, from)
		for _, to := range names {
			r, ok := cell[[2]string{from, to}]
			glyph := ""
			switch {
			case !ok || r.Cells == 0:
				glyph = "-"
			case r.Allowed == r.Cells:
				glyph = "."
			case r.Allowed == 0:
				glyph = "X"
			default:
				glyph = fmt.Sprintf("%d%%", max(1, min(99, r.Allowed*100/r.Cells)))
			}
			row += fmt.Sprintf(" %*s", colWidth, glyph)
		}
		t.line(indent+"  ", "%s", row)
	}
}

// blocksLine says how a step's blocked cells were blocked, or "" when none was.
func blocksLine(blocks map[How]int) string {
	if len(blocks) == 0 {
		return ""
	}
	line := fmt.Sprintf("blocked cells: %d dropped (no answer), %d refused (reset or unreachable)", blocks[BlockedDropped], blocks[BlockedRefused])
	if n := blocks[BlockedUnresolved]; n > 0 {
		line += fmt.Sprintf(", %d unresolved (the name did not resolve)", n)
	}
	return line
}
