package scenarios

import (
	"fmt"
)

// SelfPeer, as an expectation rule's "to", names each source itself: the
// loopback cells of the sources, which ClusterNetworkPolicy does not govern.
const SelfPeer = "self"

// CompileExpectation compiles a step's hand-written expectation against a
// world: rules apply in order over the default, later ones winning, then grids,
// whose cells (for the port and pair they cover) have the last word. The
// function returned answers for one cell: is traffic from one endpoint ("ns/pod"
// or an external host's name) to another on a port expected to be allowed?
// Since Default is required, every cell has an answer; names the world does not
// know get the default. Error fields are relative to the expectation ("rules[0].to").
func CompileExpectation(e *Expectation, w *World) (func(from, to string, port Port) (allowed bool), error) {
	cells, err := CompileExpectedCells(e, w)
	if err != nil {
		return nil, err
	}
	return func(from, to string, port Port) bool { return cells(from, to, port).Allowed }, nil
}

// ExpectedCell is a hand-written expectation for one cell: allowed, or
// undefined (an "undefined" rule: the API gives the cell no single verdict).
type ExpectedCell struct {
	Allowed, Undefined bool
}

// CompileExpectedCells is CompileExpectation with undefined cells told apart.
func CompileExpectedCells(e *Expectation, w *World) (func(from, to string, port Port) ExpectedCell, error) {
	if e == nil || w == nil {
		return nil, Errors{fieldErr("", "no expectation or world given")}
	}
	var errs Errors
	var fallback bool
	switch e.Default {
	case "allow":
		fallback = true
	case "deny":
	case "":
		errs = append(errs, fieldErr("default", "required: allow or deny"))
	default:
		errs = append(errs, fieldErr("default", fmt.Sprintf("invalid default %q: want allow or deny", e.Default)))
	}
	endpoints := endpointsOf(w)
	byName := map[string]*endpoint{}
	for i := range endpoints {
		byName[endpoints[i].name] = &endpoints[i]
	}
	rules := make([]compiledRule, 0, len(e.Rules))
	for i, r := range e.Rules {
		rule, rerrs := compileRule(r, w, endpoints, indexPath("rules", i))
		errs = append(errs, rerrs...)
		rules = append(rules, rule)
	}
	grids := make([]grid, 0, len(e.Grids))
	for i, g := range e.Grids {
		parsed, gerrs := parseGrid(g, w, indexPath("grids", i))
		errs = append(errs, gerrs...)
		grids = append(grids, parsed)
	}
	if len(errs) > 0 {
		return nil, errs
	}
	return func(from, to string, port Port) ExpectedCell {
		if port.Protocol == "" {
			port.Protocol = TCP
		}
		cell := ExpectedCell{Allowed: fallback}
		for _, r := range rules {
			if r.from[from] && (r.to[to] || r.self && from == to) && r.on.matches(byName[to], port) {
				cell = ExpectedCell{Allowed: r.allow, Undefined: r.undefined}
			}
		}
		for _, g := range grids {
			if g.port.Port != port.Port || g.port.Protocol != port.Protocol {
				continue
			}
			if v, ok := g.cells[[2]string{from, to}]; ok {
				cell = ExpectedCell{Allowed: v}
			}
		}
		return cell
	}, nil
}

// compiledRule is an ExpectRule with its peers resolved to endpoint names.
type compiledRule struct {
	allow     bool
	undefined bool
	from, to  map[string]bool
	// self is "to: self": each source to itself (loopback).
	self bool
	on   onMatcher
}

func compileRule(r ExpectRule, w *World, endpoints []endpoint, path string) (compiledRule, Errors) {
	out := compiledRule{allow: r.Allow != "", undefined: r.Undefined != "", from: map[string]bool{}, to: map[string]bool{}}
	fromField, fromExpr := "allow", r.Allow
	set := 0
	for _, v := range []string{r.Allow, r.Deny, r.Undefined} {
		if v != "" {
			set++
		}
	}
	switch {
	case set > 1:
		return out, Errors{fieldErr(path, "sets more than one of allow, deny and undefined: a rule sets exactly one")}
	case set == 0:
		return out, Errors{fieldErr(path, "sets none of allow, deny and undefined: a rule sets exactly one")}
	case r.Deny != "":
		fromField, fromExpr = "deny", r.Deny
	case r.Undefined != "":
		fromField, fromExpr = "undefined", r.Undefined
	}
	var errs Errors
	sides := []struct {
		field, expr string
		into        map[string]bool
	}{{fromField, fromExpr, out.from}, {"to", r.To, out.to}}
	if r.To == SelfPeer {
		out.self, sides = true, sides[:1]
	}
	for _, side := range sides {
		match, msg := parsePeer(side.expr, w)
		if msg != "" {
			errs = append(errs, fieldErr(joinPath(path, side.field), msg))
			continue
		}
		for _, e := range endpoints {
			if match(e) {
				side.into[e.name] = true
			}
		}
	}
	on, msg := parseOn(r.On)
	if msg != "" {
		errs = append(errs, fieldErr(joinPath(path, "on"), msg))
	}
	out.on = on
	destinations := out.to
	if out.self {
		destinations = out.from
	}
	if msg == "" && len(errs) == 0 && !on.any && !servedByAny(on, endpoints, destinations) {
		// It would pass whatever the cluster does: say so instead.
		errs = append(errs, fieldErr(joinPath(path, "on"), fmt.Sprintf("no destination of this rule serves %s: the rule would match no cell", r.On)))
	}
	return out, errs
}

// servedByAny tells whether some endpoint named in to serves a port on matches.
func servedByAny(on onMatcher, endpoints []endpoint, to map[string]bool) bool {
	for i := range endpoints {
		e := &endpoints[i]
		if !to[e.name] {
			continue
		}
		for _, p := range e.ports {
			if on.matches(e, p) {
				return true
			}
		}
	}
	return false
}
