package scenarios

import (
	"fmt"
	"slices"
	"strings"
)

// grid is a parsed Grid: the verdict of each (source, destination) cell for one port.
type grid struct {
	port  Port
	cells map[[2]string]bool
}

// parseGrid reads the upstream e2e grid: a header of destinations (an
// optional leading "-" corner, as upstream prints it), then per source its
// name and one "." (allowed) or "X" (blocked) per destination. Loopback cells
// are read but never compared.
func parseGrid(g Grid, w *World, path string) (grid, Errors) {
	on, msg := parseOn(g.Port)
	if msg == "" && (on.any || on.name != "" || on.port == 0) {
		msg = fmt.Sprintf("invalid port %q: a grid covers one port such as 80/TCP", g.Port)
	}
	if msg != "" {
		return grid{}, Errors{fieldErr(joinPath(path, "port"), msg)}
	}
	rowsPath := joinPath(path, "rows")
	fail := func(format string, args ...any) (grid, Errors) {
		return grid{}, Errors{fieldErr(rowsPath, fmt.Sprintf(format, args...))}
	}
	var lines [][]string
	for line := range strings.Lines(g.Rows) {
		if words := strings.Fields(line); len(words) > 0 {
			lines = append(lines, words)
		}
	}
	if len(lines) < 2 {
		return fail("want a header of destinations and at least one row")
	}
	known := map[string]bool{}
	served := false
	for _, e := range endpointsOf(w) {
		known[e.name] = true
		served = served || slices.ContainsFunc(e.ports, func(p Port) bool { return p.Port == on.port && p.Protocol == on.protocol })
	}
	if !served {
		// Every cell of it would be vacuous.
		return grid{}, Errors{fieldErr(joinPath(path, "port"), fmt.Sprintf("no pod or external host serves %s: the grid would match no cell", g.Port))}
	}
	header := lines[0]
	if header[0] == "-" {
		header = header[1:]
	}
	for i, to := range header {
		if !known[to] {
			return fail("unknown destination %q", to)
		}
		if slices.Contains(header[:i], to) {
			return fail("destination %q appears twice", to)
		}
	}
	out := grid{port: Port{Port: on.port, Protocol: on.protocol}, cells: map[[2]string]bool{}}
	var sources []string
	for _, row := range lines[1:] {
		from := row[0]
		if !known[from] {
			return fail("unknown source %q", from)
		}
		if slices.Contains(sources, from) {
			return fail("source %q appears twice", from)
		}
		sources = append(sources, from)
		if len(row)-1 != len(header) {
			return fail("row %q has %d cells, want %d", from, len(row)-1, len(header))
		}
		for j, glyph := range row[1:] {
			if glyph != "." && glyph != "X" {
				return fail("row %q: invalid cell %q: want . or X", from, glyph)
			}
			if from != header[j] {
				out.cells[[2]string{from, header[j]}] = glyph == "."
			}
		}
	}
	return out, nil
}
