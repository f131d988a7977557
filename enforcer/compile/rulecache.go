package compile

import (
	"encoding/binary"
)

// ruleCache compiles each distinct endpoint rule set once. Endpoints of one
// kind (namespace, labels and container ports alike, such as the replicas
// of a deployment) share their rules without being matched again; kinds
// that the same policies select and whose ports read the same share them
// too, since labels no policy looks at change nothing.
type ruleCache struct {
	// inNamespace indexes policies by namespace: a policy selects pods of
	// its own namespace only.
	inNamespace map[string][]*policy
	byKind      map[string]ruleSets
	bySelection map[string]ruleSets
	number      func(*layout) RuleSet
	// memory carries matches and layouts from one compile to the next; nil
	// for a one-shot Compile.
	memory *ruleMemory
	// signatures name the compiled policies of each namespace, for memory.
	signatures map[string]string
	// tiers are the cluster policies; nil or empty when there are none.
	tiers *tiered
}

// ruleSets are an endpoint's rule sets, numbered.
type ruleSets struct{ ingress, egress RuleSet }

// layout is a rule set laid out, with the text that numbering shares it
// by; nil stands for an endpoint no policy isolates.
type layout struct {
	entries []prefixPorts
	key     string
}

func newRuleCache(policies []*policy, number func(*layout) RuleSet, memory *ruleMemory) *ruleCache {
	rc := &ruleCache{
		inNamespace: map[string][]*policy{},
		byKind:      map[string]ruleSets{},
		bySelection: map[string]ruleSets{},
		number:      number,
		memory:      memory,
	}
	for _, p := range policies {
		rc.inNamespace[p.namespace] = append(rc.inNamespace[p.namespace], p)
	}
	if memory != nil {
		rc.signatures = make(map[string]string, len(rc.inNamespace))
		for ns, ps := range rc.inNamespace {
			var b []byte
			for _, p := range ps {
				b = binary.AppendUvarint(b, p.serial)
			}
			rc.signatures[ns] = string(b)
		}
	}
	return rc
}

// forEndpoint returns the endpoint's rule sets, numbering them on first use.
func (rc *ruleCache) forEndpoint(ep *pod) ruleSets {
	if rs, ok := rc.byKind[ep.kind]; ok {
		return rs
	}
	selecting, key := rc.selecting(ep)
	subjectOf := rc.clusterPoliciesOf(ep)
	if len(subjectOf) > 0 {
		b := append([]byte(key), 'c')
		for _, p := range subjectOf {
			b = binary.AppendUvarint(b, p.serial)
		}
		key = string(b)
	}
	rs, ok := rc.bySelection[key]
	if !ok {
		var laidOut [2]*layout
		if rc.memory != nil {
			laidOut, ok = rc.memory.layouts.get(key)
		}
		if !ok {
			ingress, egress := endpointRules(selecting, ep)
			laidOut = [2]*layout{layOutTiers(ingress, subjectOf, ep, true), layOutTiers(egress, subjectOf, ep, false)}
			if rc.memory != nil {
				rc.memory.layouts.put(key, laidOut)
			}
		}
		rs = ruleSets{rc.number(laidOut[0]), rc.number(laidOut[1])}
		rc.bySelection[key] = rs
	}
	rc.byKind[ep.kind] = rs
	return rs
}

// selecting finds the policies that select the endpoint, and a key that
// names them and the endpoint's ports: all that its rules depend on.
func (rc *ruleCache) selecting(ep *pod) ([]*policy, string) {
	candidates := rc.inNamespace[ep.namespace]
	var sig string
	if rc.memory != nil {
		sig = rc.signatures[ep.namespace]
		if m, ok := rc.memory.matches.get(ep.kind); ok && m.signature == sig {
			selecting := make([]*policy, len(m.positions))
			for i, at := range m.positions {
				selecting[i] = candidates[at]
			}
			return selecting, m.key
		}
	}
	var selecting []*policy
	var positions []int
	key := ep.appendPortsKey(nil)
	for i, p := range candidates {
		if p.podSelector.Matches(ep.labels) {
			selecting = append(selecting, p)
			positions = append(positions, i)
			key = binary.AppendUvarint(key, p.serial)
		}
	}
	if rc.memory != nil {
		rc.memory.matches.put(ep.kind, match{signature: sig, positions: positions, key: string(key)})
	}
	return selecting, string(key)
}

// clusterPoliciesOf lists the cluster policies whose subject is the
// endpoint, in evaluation order.
func (rc *ruleCache) clusterPoliciesOf(ep *pod) []*clusterPolicy {
	if rc.tiers == nil {
		return nil
	}
	var out []*clusterPolicy
	for _, p := range rc.tiers.policies {
		if p.selects(rc.tiers.cluster, ep) {
			out = append(out, p)
		}
	}
	return out
}

// layOutTiers lays out one direction's rule set: the NetworkPolicy rule
// set alone when no cluster policy rule of that direction applies to the
// endpoint, and the tiers flattened otherwise.
func layOutTiers(np *ruleSetBuilder, policies []*clusterPolicy, ep *pod, ingress bool) *layout {
	var admin, baseline []*clusterPolicy
	for _, p := range policies {
		if p.baseline {
			baseline = append(baseline, p)
		} else {
			admin = append(admin, p)
		}
	}
	adminRules, baselineRules := tierRules(admin, ep, ingress), tierRules(baseline, ep, ingress)
	if len(adminRules) == 0 && len(baselineRules) == 0 {
		return layOut(np)
	}
	entries := flatten(adminRules, np, baselineRules)
	return &layout{entries: entries, key: ruleSetKey(entries)}
}

// layOut lays a rule set out; a nil builder stays nil.
func layOut(b *ruleSetBuilder) *layout {
	if b == nil {
		return nil
	}
	entries := b.build()
	return &layout{entries: entries, key: ruleSetKey(entries)}
}
