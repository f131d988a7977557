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
	var serial uint64
	tiers, refs, err := compileClusterPolicies(c, sortClusterPolicies(tieredPolicies(in)), &serial)
	if err != nil {
		return nil, fmt.Errorf("compile: %w", err)
	}
	t := assemble(in, locals, skipped, policies, &tiered{c, tiers}, nil)
	t.Rules = refs
	return t, nil
}

// tiered is the cluster's compiled cluster policies, in evaluation order,
// with the index their subjects are matched against.
type tiered struct {
	cluster  *cluster
	policies []*clusterPolicy
}

// assemble gives each local endpoint its rule sets and lays the tables
// out: rule sets numbered in the order endpoints first use them, classes
// in the order rule sets first use them.
func assemble(in Input, locals []*pod, skipped []SkippedEndpoint, policies []*policy, tiers *tiered, memory *ruleMemory) *Tables {
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
	rules.tiers = tiers
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
	var classEntries []prefixPorts
	for i, l := range laidOut {
		for _, e := range l.entries {
			class, ok := classes[e.class]
			if !ok {
				classEntries = append(classEntries, e)
				class = Class(len(classEntries))
				classes[e.class] = class
			}
			t.Peers = append(t.Peers, Peer{RuleSet: RuleSet(i + 1), Prefix: e.prefix, Class: class})
		}
	}
	for i, e := range classEntries {
		class := Class(i + 1)
		if e.verdicts == nil {
			t.Ports = append(t.Ports, e.ports.entries(class)...)
			continue
		}
		for _, v := range e.verdicts {
			v.Class = class
			t.Ports = append(t.Ports, v)
		}
	}
	return t
}
