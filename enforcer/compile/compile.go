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
	policies, err := compilePolicies(c, in.Policies)
	if err != nil {
		return nil, fmt.Errorf("compile: %w", err)
	}

	t := &Tables{Skipped: skipped}
	sets := map[string]RuleSet{}
	var laidOut [][]prefixPorts
	number := func(b *ruleSetBuilder) RuleSet {
		if b == nil {
			return NotIsolated
		}
		entries := b.build()
		key := ruleSetKey(entries)
		if id, ok := sets[key]; ok {
			return id
		}
		laidOut = append(laidOut, entries)
		id := RuleSet(len(laidOut))
		sets[key] = id
		return id
	}

	rules := newRuleCache(policies, number)
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
	for i, entries := range laidOut {
		for _, e := range entries {
			key := e.ports.key()
			class, ok := classes[key]
			if !ok {
				classPorts = append(classPorts, e.ports)
				class = Class(len(classPorts))
				classes[key] = class
			}
			t.Peers = append(t.Peers, Peer{RuleSet: RuleSet(i + 1), Prefix: e.prefix, Class: class})
		}
	}
	for i, ports := range classPorts {
		t.Ports = append(t.Ports, ports.entries(Class(i+1))...)
	}
	return t, nil
}
