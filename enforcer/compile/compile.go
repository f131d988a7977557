package compile

import "fmt"

// Compile computes the tables that enforce the input's policies on its
// local endpoints. It fails on a policy the API server would have rejected
// (an unknown protocol, a malformed selector or CIDR), naming the policy.
func Compile(in Input) (*Tables, error) {
	c := indexCluster(in)
	locals, skipped, err := localEndpoints(c, in.Local)
	if err != nil {
		return nil, fmt.Errorf("compile: %w", err)
	}
	policies, err := compilePolicies(c, sortPolicies(in.Policies))
	if err != nil {
		return nil, fmt.Errorf("compile: %w", err)
	}
	return assemble(in, locals, skipped, policies, nil), nil
}

// assemble gives each local endpoint its rule sets and lays the tables
// out: rule sets numbered in the order endpoints first use them, classes
// in the order rule sets first use them.
func assemble(in Input, locals []*pod, skipped []SkippedEndpoint, policies []*policy, memory *ruleMemory) *Tables {
	t := &Tables{Skipped: skipped}
	sets := map[string]RuleSet{}
	var laidOut []*layout
	number := func(l *layout) RuleSet {
		if l == nil {
			return NotIsolated
		}
		if id, ok := sets[l.key]; ok {
			return id
		}
		laidOut = append(laidOut, l)
		id := RuleSet(len(laidOut))
		sets[l.key] = id
		return id
	}

	rules := newRuleCache(policies, number, memory)
	if len(locals) > 0 {
		t.Endpoints = make([]Endpoint, 0, len(locals))
	}
	for i, ep := range locals {
		rs := rules.forEndpoint(ep)
		t.Endpoints = append(t.Endpoints, Endpoint{
			Pod:      ep.key,
			IP:       ep.ip,
			Ifindex:  in.Local[ep.key],
			Identity: uint32(i + 1),
			Ingress:  rs.ingress,
			Egress:   rs.egress,
		})
	}

	classes := map[string]Class{}
	var classPorts []portSet
	for i, l := range laidOut {
		for _, e := range l.entries {
			class, ok := classes[e.class]
			if !ok {
				classPorts = append(classPorts, e.ports)
				class = Class(len(classPorts))
				classes[e.class] = class
			}
			t.Peers = append(t.Peers, Peer{RuleSet: RuleSet(i + 1), Prefix: e.prefix, Class: class})
		}
	}
	for i, ports := range classPorts {
		t.Ports = append(t.Ports, ports.entries(Class(i+1))...)
	}
	return t
}
