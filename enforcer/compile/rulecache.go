package compile

import "strconv"

// ruleCache compiles each distinct endpoint rule set once. Endpoints of one
// kind (namespace, labels and container ports alike, such as the replicas
// of a deployment) share their rules without being matched again; kinds
// that the same policies select and whose ports read the same share them
// too, since labels no policy looks at change nothing.
type ruleCache struct {
	policies []policy
	// inNamespace indexes policies by namespace: a policy selects pods of
	// its own namespace only.
	inNamespace map[string][]int
	byKind      map[string]ruleSets
	bySelection map[string]ruleSets
	number      func(*ruleSetBuilder) RuleSet
}

// ruleSets are an endpoint's rule sets, numbered.
type ruleSets struct{ ingress, egress RuleSet }

func newRuleCache(policies []policy, number func(*ruleSetBuilder) RuleSet) *ruleCache {
	rc := &ruleCache{
		policies:    policies,
		inNamespace: map[string][]int{},
		byKind:      map[string]ruleSets{},
		bySelection: map[string]ruleSets{},
		number:      number,
	}
	for i, p := range policies {
		rc.inNamespace[p.namespace] = append(rc.inNamespace[p.namespace], i)
	}
	return rc
}

// forEndpoint returns the endpoint's rule sets, numbering them on first use.
func (rc *ruleCache) forEndpoint(ep *pod) ruleSets {
	kind := ep.kindKey()
	if rs, ok := rc.byKind[kind]; ok {
		return rs
	}
	var selecting []*policy
	key := ep.appendPortsKey(nil)
	for _, i := range rc.inNamespace[ep.namespace] {
		if rc.policies[i].podSelector.Matches(ep.labels) {
			selecting = append(selecting, &rc.policies[i])
			key = strconv.AppendInt(append(key, '#'), int64(i), 10)
		}
	}
	rs, ok := rc.bySelection[string(key)]
	if !ok {
		ingress, egress := endpointRules(selecting, ep)
		rs = ruleSets{rc.number(ingress), rc.number(egress)}
		rc.bySelection[string(key)] = rs
	}
	rc.byKind[kind] = rs
	return rs
}
