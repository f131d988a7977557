package scenarios

import (
	"maps"
	"slices"
)

// ScenarioBuilder writes the scenarios of the YAML format from Go:
//
//	s, err := scenarios.New("deny-all-then-allow-y").
//		DefaultPorts(scenarios.Port{Port: 80, Protocol: scenarios.TCP}).
//		Namespace("x", nil, scenarios.PodNamed("a", map[string]string{"pod": "a"})).
//		Namespace("y", nil, scenarios.PodNamed("b", nil)).
//		Step("deny all", scenarios.Apply(denyAll)).
//		Expect("allow", scenarios.DenyRule("*", "x/*", "")).
//		Build()
//
// Methods record misuse and Build reports it with every validation error.
type ScenarioBuilder struct {
	s    Scenario
	errs Errors
}

// New starts a scenario with a name.
func New(name string) *ScenarioBuilder {
	return &ScenarioBuilder{s: Scenario{Name: name}}
}

// Description sets the scenario's description.
func (b *ScenarioBuilder) Description(d string) *ScenarioBuilder { b.s.Description = d; return b }

// Source sets where the scenario comes from (a seed file name or a Source* constant).
func (b *ScenarioBuilder) Source(src string) *ScenarioBuilder { b.s.Source = src; return b }

// Seed names the seed document a pitfall scenario comes from.
func (b *ScenarioBuilder) Seed(seed string) *ScenarioBuilder { b.s.Seed = seed; return b }

// Tags adds tags.
func (b *ScenarioBuilder) Tags(tags ...string) *ScenarioBuilder {
	b.s.Tags = append(b.s.Tags, tags...)
	return b
}

// PodCIDR sets the range deterministic pod addresses come from.
func (b *ScenarioBuilder) PodCIDR(cidr string) *ScenarioBuilder { b.s.Model.PodCIDR = cidr; return b }

// DefaultPorts adds ports that every pod serves.
func (b *ScenarioBuilder) DefaultPorts(ports ...Port) *ScenarioBuilder {
	b.s.Model.DefaultPorts = append(b.s.Model.DefaultPorts, ports...)
	return b
}

// Namespace adds a namespace with its labels and pods.
func (b *ScenarioBuilder) Namespace(name string, labels map[string]string, pods ...PodSpec) *ScenarioBuilder {
	ns := NamespaceSpec{Name: name, Labels: maps.Clone(labels)}
	for _, p := range pods {
		ns.Pods = append(ns.Pods, clonePodSpec(p))
	}
	b.s.Model.Namespaces = append(b.s.Model.Namespaces, ns)
	return b
}

// External adds an external host; without ports it serves the default ports.
func (b *ScenarioBuilder) External(name, ip string, ports ...Port) *ScenarioBuilder {
	b.s.Model.ExternalHosts = append(b.s.Model.ExternalHosts, ExternalHost{Name: name, IP: ip, Ports: slices.Clone(ports)})
	return b
}

// Step adds a step with its actions; Expect and ExpectGrid then describe its outcome.
func (b *ScenarioBuilder) Step(name string, actions ...Action) *ScenarioBuilder {
	b.s.Steps = append(b.s.Steps, Step{Name: name, Actions: slices.Clone(actions)})
	return b
}

// Expect sets the expectation of the last step: a default ("allow" or
// "deny") and rules applied in order over it.
func (b *ScenarioBuilder) Expect(def string, rules ...ExpectRule) *ScenarioBuilder {
	step := b.lastStep("Expect")
	if step == nil {
		return b
	}
	grids := []Grid(nil)
	if step.Expect != nil {
		grids = step.Expect.Grids
	}
	step.Expect = &Expectation{Default: def, Rules: slices.Clone(rules), Grids: grids}
	return b
}

// ExpectGrid adds an upstream-style grid for one port ("80/TCP") to the last
// step's expectation; Expect must come first, since the default is required.
func (b *ScenarioBuilder) ExpectGrid(port, rows string) *ScenarioBuilder {
	step := b.lastStep("ExpectGrid")
	if step == nil {
		return b
	}
	if step.Expect == nil {
		b.errs = append(b.errs, fieldErr("steps", "ExpectGrid called before Expect on step "+step.Name))
		return b
	}
	step.Expect.Grids = append(step.Expect.Grids, Grid{Port: port, Rows: rows})
	return b
}

func (b *ScenarioBuilder) lastStep(method string) *Step {
	if len(b.s.Steps) == 0 {
		b.errs = append(b.errs, fieldErr("steps", method+" called before any Step"))
		return nil
	}
	return &b.s.Steps[len(b.s.Steps)-1]
}

// Build validates the scenario and returns a copy of it: the builder can go
// on to make variants without changing what it returned.
func (b *ScenarioBuilder) Build() (*Scenario, error) {
	s := cloneScenario(b.s)
	errs := slices.Clone(b.errs)
	if err := s.Validate(); err != nil {
		errs = append(errs, asErrors(err)...)
	}
	if len(errs) > 0 {
		return nil, errs
	}
	return s, nil
}

func clonePodSpec(p PodSpec) PodSpec {
	p.Labels = maps.Clone(p.Labels)
	p.Ports = slices.Clone(p.Ports)
	return p
}

// cloneScenario copies a scenario deeply enough that edits to either side
// (labels, steps, policies) do not show in the other.
func cloneScenario(in Scenario) *Scenario {
	out := in
	out.Tags = slices.Clone(in.Tags)
	out.Model.DefaultPorts = slices.Clone(in.Model.DefaultPorts)
	out.Model.ExternalHosts = nil
	for _, h := range in.Model.ExternalHosts {
		h.Ports = slices.Clone(h.Ports)
		out.Model.ExternalHosts = append(out.Model.ExternalHosts, h)
	}
	out.Model.Namespaces = nil
	for _, ns := range in.Model.Namespaces {
		pods := ns.Pods
		ns.Labels = maps.Clone(ns.Labels)
		ns.Pods = nil
		for _, p := range pods {
			ns.Pods = append(ns.Pods, clonePodSpec(p))
		}
		out.Model.Namespaces = append(out.Model.Namespaces, ns)
	}
	out.Steps = nil
	for _, st := range in.Steps {
		actions := st.Actions
		st.Actions = nil
		for _, a := range actions {
			st.Actions = append(st.Actions, a.clone())
		}
		if st.Expect != nil {
			e := *st.Expect
			e.Rules = slices.Clone(e.Rules)
			e.Grids = slices.Clone(e.Grids)
			st.Expect = &e
		}
		out.Steps = append(out.Steps, st)
	}
	return &out
}
