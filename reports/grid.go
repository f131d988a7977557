package reports

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// grid is one port of a step laid out as the upstream e2e grid: a row per
// source, a column per destination. Rows and columns are the endpoints that
// have at least one cell on this port, so a destination that does not serve
// the port has no column, while a hole inside the grid shows as "?".
type grid struct {
	port  string
	froms []string
	tos   []string
	cells map[[2]string]Cell
}

// cell returns the cell from → to, and whether the step has one.
func (g grid) cell(from, to string) (Cell, bool) {
	c, ok := g.cells[[2]string{from, to}]
	return c, ok
}

// portKey names a cell's port the way StepResult.Ports does: "80/TCP".
func portKey(c Cell) string {
	protocol := c.Protocol
	if protocol == "" {
		protocol = defaultProtocol
	}
	return fmt.Sprintf("%d/%s", c.Port, protocol)
}

// stepGrids lays a step's cells out, one grid per port in the step's port
// order, and per target within a port: by pod IP, then through Services.
// Ports, sources and destinations the step does not list come after the
// listed ones, sorted, so that output never depends on map order. When two
// cells name the same pair, the first one wins.
func stepGrids(s StepResult) []grid {
	byPort := map[string][]Cell{}
	for _, c := range s.Cells {
		key := portKey(c)
		byPort[key] = append(byPort[key], c)
	}
	var grids []grid
	for _, port := range ordered(s.Ports, byPort, comparePorts) {
		byTarget := map[string][]Cell{}
		for _, c := range byPort[port] {
			byTarget[c.Target] = append(byTarget[c.Target], c)
		}
		for _, target := range ordered([]string{"", TargetService}, byTarget, strings.Compare) {
			g := grid{port: port, cells: map[[2]string]Cell{}}
			if target != "" {
				g.port += " via " + target
			}
			froms, tos := map[string]bool{}, map[string]bool{}
			for _, c := range byTarget[target] {
				key := [2]string{c.From, c.To}
				if _, dup := g.cells[key]; !dup {
					g.cells[key] = c
				}
				froms[c.From], tos[c.To] = true, true
			}
			g.froms = ordered(s.Endpoints, froms, strings.Compare)
			g.tos = ordered(s.Endpoints, tos, strings.Compare)
			grids = append(grids, g)
		}
	}
	return grids
}

// ordered returns the keys of set: those in order first, in that order, then
// the rest sorted with compare.
func ordered[V any](order []string, set map[string]V, compare func(a, b string) int) []string {
	keys := make([]string, 0, len(set))
	seen := map[string]bool{}
	for _, k := range order {
		if _, ok := set[k]; ok && !seen[k] {
			seen[k] = true
			keys = append(keys, k)
		}
	}
	var rest []string
	for k := range set {
		if !seen[k] {
			rest = append(rest, k)
		}
	}
	slices.SortFunc(rest, compare)
	return append(keys, rest...)
}

// comparePorts orders "80/TCP" before "443/TCP" (by number, then protocol),
// which plain string order would not.
func comparePorts(a, b string) int {
	an, ap := splitPort(a)
	bn, bp := splitPort(b)
	if c := cmp.Compare(an, bn); c != 0 {
		return c
	}
	if c := strings.Compare(ap, bp); c != 0 {
		return c
	}
	return strings.Compare(a, b)
}

// splitPort splits "80/TCP" into 80 and "TCP"; a malformed key sorts as -1.
func splitPort(key string) (int, string) {
	number, protocol, _ := strings.Cut(key, "/")
	n, err := strconv.Atoi(number)
	if err != nil {
		return -1, protocol
	}
	return n, protocol
}
