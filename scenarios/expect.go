package scenarios

import (
	"fmt"
)

// CompileExpectation compiles a step's hand-written expectation against a
// world: rules apply in order over the default, later ones winning, then grids,
// whose cells (for the port and pair they cover) have the last word. The
// function returned answers for one cell: is traffic from one endpoint ("ns/pod"
// or an external host's name) to another on a port expected to be allowed?
// Since Default is required, every cell has an answer; names the world does not
// know get the default. Error fields are relative to the expectation ("rules[0].to").
func CompileExpectation(e *Expectation, w *World) (func(from, to string, port Port) (allowed bool), error) {
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
	return func(from, to string, port Port) bool {
		if port.Protocol == "" {
			port.Protocol = TCP
		}
		allowed := fallback
		for _, r := range rules {
			if r.from[from] && r.to[to] && r.on.matches(byName[to], port) {
				allowed = r.allow
			}
		}
		for _, g := range grids {
			if g.port.Port != port.Port || g.port.Protocol != port.Protocol {
				continue
			}
			if v, ok := g.cells[[2]string{from, to}]; ok {
				allowed = v
			}
		}
		return allowed
	}, nil
}

// compiledRule is an ExpectRule with its peers resolved to endpoint names.
type compiledRule struct {
	allow    bool
	from, to map[string]bool
	on       onMatcher
}

func compileRule(r ExpectRule, w *World, endpoints []endpoint, path string) (compiledRule, Errors) {
	out := compiledRule{allow: r.Allow != "", from: map[string]bool{}, to: map[string]bool{}}
	fromField, fromExpr := "allow", r.Allow
	switch {
	case r.Allow != "" && r.Deny != "":
		return out, Errors{fieldErr(path, "sets both allow and deny: a rule sets exactly one")}
	case r.Allow == "" && r.Deny == "":
		return out, Errors{fieldErr(path, "sets neither allow nor deny: a rule sets exactly one")}
	case r.Deny != "":
		fromField, fromExpr = "deny", r.Deny
	}
	var errs Errors
	for _, side := range []struct {
		field, expr string
		into        map[string]bool
	}{{fromField, fromExpr, out.from}, {"to", r.To, out.to}} {
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
	if msg == "" && len(errs) == 0 && !on.any && !servedByAny(on, endpoints, out.to) {
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
