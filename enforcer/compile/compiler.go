package compile

import (
	"bytes"
	"fmt"
	"maps"

	networkingv1 "k8s.io/api/networking/v1"
)

// Compiler compiles as Compile does, and keeps what it compiled for the
// next call, so that changing one policy of thousands costs little more
// than compiling that policy. A policy whose namespace and spec read the
// same as at the last call is not compiled again; endpoints of a kind
// whose namespace's policies are the same compiled ones are not matched
// again; and a rule set made of the same compiled policies is not laid out
// again. Any change to what policies are resolved against (a pod's labels,
// address, ports or phase, a namespace's labels, a pod coming or going)
// drops every compiled policy, since each may resolve its peers anew.
//
// Its tables are identical to those Compile makes of the same input:
// everything it reuses is keyed by the content it was made from, never by
// object identity or resourceVersion, so objects edited in place are seen
// too. The zero Compiler is ready to use; it is not safe for concurrent use.
type Compiler struct {
	// cluster is the index of the last call, to tell whether the cluster
	// changed; its kinds and namespace labels are the Compiler's own copies.
	cluster  *cluster
	policies map[policyName]compiledPolicy
	// spare is the map of the call before last, cleared and filled anew.
	spare map[policyName]compiledPolicy
	rules ruleMemory
	// serial numbers compiled policies for the Compiler's life.
	serial uint64
	// spec is scratch space for encoding specs.
	spec []byte
}

// policyName is a policy's namespace and name.
type policyName struct{ namespace, name string }

// compiledPolicy is a compiled policy and the encoded spec it came from.
type compiledPolicy struct {
	spec   []byte
	policy *policy
}

// Compile computes the tables that enforce the input's policies on its
// local endpoints, reusing what earlier calls compiled where the input
// has not changed. It fails as Compile does.
func (cp *Compiler) Compile(in Input) (*Tables, error) {
	c := indexCluster(in)
	if !c.sameAs(cp.cluster) {
		cp.policies = nil
	}
	cp.cluster = c
	locals, skipped, err := localEndpoints(c, in.Local)
	if err != nil {
		return nil, fmt.Errorf("compile: %w", err)
	}
	policies, err := cp.compilePolicies(c, sortPolicies(in.Policies))
	if err != nil {
		return nil, fmt.Errorf("compile: %w", err)
	}
	// Cluster policies are few next to NetworkPolicies and are compiled
	// anew each time; their fresh serials keep stale layouts from serving.
	tiers, refs, err := compileClusterPolicies(c, sortClusterPolicies(tieredPolicies(in)), &cp.serial)
	if err != nil {
		return nil, fmt.Errorf("compile: %w", err)
	}
	t := assemble(in, locals, skipped, policies, &tiered{c, tiers}, &cp.rules)
	t.Rules = refs
	cp.rules.rotate()
	return t, nil
}

// compilePolicies compiles the sorted policies whose spec changed and
// takes the others from the last call, keeping only those in the input.
func (cp *Compiler) compilePolicies(c *cluster, sorted []*networkingv1.NetworkPolicy) ([]*policy, error) {
	kept := cp.spare
	if kept == nil {
		kept = make(map[policyName]compiledPolicy, len(sorted))
	}
	clear(kept)
	out := make([]*policy, 0, len(sorted))
	for _, np := range sorted {
		spec, err := cp.encode(np)
		if err != nil {
			return nil, fmt.Errorf("policy %s/%s: %w", np.Namespace, np.Name, err)
		}
		key := policyName{np.Namespace, np.Name}
		cached, ok := cp.policies[key]
		if !ok || !bytes.Equal(cached.spec, spec) {
			p, err := compilePolicy(c, np)
			if err != nil {
				return nil, err
			}
			cp.serial++
			p.serial = cp.serial
			cached = compiledPolicy{spec: bytes.Clone(spec), policy: p}
		}
		kept[key] = cached
		out = append(out, cached.policy)
	}
	cp.policies, cp.spare = kept, cp.policies
	return out, nil
}

// encode is the policy's spec in protobuf, whose generated
// code writes map keys in order: equal specs encode equal. The result is
// only good until the next call.
func (cp *Compiler) encode(np *networkingv1.NetworkPolicy) ([]byte, error) {
	n := np.Spec.Size()
	if cap(cp.spec) < n {
		cp.spec = make([]byte, n)
	}
	spec := cp.spec[:n]
	if _, err := np.Spec.MarshalToSizedBuffer(spec); err != nil {
		return nil, fmt.Errorf("encode spec: %w", err)
	}
	return spec, nil
}

// sameAs tells whether policies resolve against c exactly as against
// other: the same namespaces with the same labels, and the same pods with
// the same addresses, namespaces, labels and ports. Pods that take no part
// (no IPv4 address, finished, host network) are not in an index at all.
func (c *cluster) sameAs(other *cluster) bool {
	if other == nil || len(c.pods) != len(other.pods) || len(c.namespaces) != len(other.namespaces) {
		return false
	}
	for name, set := range c.namespaces {
		was, ok := other.namespaces[name]
		if !ok || !maps.Equal(set, was) {
			return false
		}
	}
	for i, p := range c.pods {
		was := other.pods[i]
		if p.key != was.key || p.ip != was.ip || p.kind != was.kind {
			return false
		}
	}
	return true
}
