package compile

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"

	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/labels"
)

// policy is a NetworkPolicy with its selectors parsed and its peers
// resolved, which do not depend on the endpoint being compiled.
type policy struct {
	// serial names the compiled policy in cache keys: its place in the
	// sorted input for Compile, unique for the life of a Compiler.
	serial          uint64
	namespace       string
	podSelector     labels.Selector
	ingress, egress bool
	ingressRules    []rule
	egressRules     []rule
}

type rule struct {
	peers peerSet
	ports rulePorts
}

// sortPolicies lists the policies by namespace and name, leaving out nils,
// so that errors and serials do not depend on the input's order.
func sortPolicies(in []*networkingv1.NetworkPolicy) []*networkingv1.NetworkPolicy {
	sorted := make([]*networkingv1.NetworkPolicy, 0, len(in))
	for _, np := range in {
		if np != nil {
			sorted = append(sorted, np)
		}
	}
	slices.SortFunc(sorted, func(a, b *networkingv1.NetworkPolicy) int {
		if c := strings.Compare(a.Namespace, b.Namespace); c != 0 {
			return c
		}
		return strings.Compare(a.Name, b.Name)
	})
	return sorted
}

// compilePolicies compiles sorted policies, numbering them from 1.
func compilePolicies(c *cluster, sorted []*networkingv1.NetworkPolicy) ([]*policy, error) {
	out := make([]*policy, 0, len(sorted))
	for i, np := range sorted {
		p, err := compilePolicy(c, np)
		if err != nil {
			return nil, err
		}
		p.serial = uint64(i + 1)
		out = append(out, p)
	}
	return out, nil
}

// compilePolicy compiles one policy against the cluster; its error names
// the policy.
func compilePolicy(c *cluster, np *networkingv1.NetworkPolicy) (*policy, error) {
	p, err := compileSpec(c, np)
	if err != nil {
		return nil, fmt.Errorf("policy %s/%s: %w", np.Namespace, np.Name, err)
	}
	return p, nil
}

func compileSpec(c *cluster, np *networkingv1.NetworkPolicy) (*policy, error) {
	sel, err := c.selectors.parse(&np.Spec.PodSelector)
	if err != nil {
		return nil, fmt.Errorf("podSelector: %w", err)
	}
	p := &policy{namespace: np.Namespace, podSelector: sel}
	p.ingress, p.egress = policyTypes(np)
	if p.ingress {
		for i, r := range np.Spec.Ingress {
			compiled, err := compileRule(c, np.Namespace, r.From, r.Ports)
			if err != nil {
				return nil, fmt.Errorf("ingress rule %d: %w", i, err)
			}
			p.ingressRules = append(p.ingressRules, compiled)
		}
	}
	if p.egress {
		for i, r := range np.Spec.Egress {
			compiled, err := compileRule(c, np.Namespace, r.To, r.Ports)
			if err != nil {
				return nil, fmt.Errorf("egress rule %d: %w", i, err)
			}
			p.egressRules = append(p.egressRules, compiled)
		}
	}
	return p, nil
}

func compileRule(c *cluster, namespace string, peers []networkingv1.NetworkPolicyPeer, ports []networkingv1.NetworkPolicyPort) (rule, error) {
	parsed, err := parsePorts(ports)
	if err != nil {
		return rule{}, err
	}
	// Only named ports need to know which pods the peers are.
	set, err := rulePeers(c, namespace, peers, len(parsed.named) > 0)
	if err != nil {
		return rule{}, err
	}
	return rule{peers: set, ports: parsed}, nil
}

// endpointRules gathers the rules of the policies selecting the endpoint.
// A nil builder means no policy isolates the endpoint in that direction;
// policies add up, so each selecting policy only ever admits more.
func endpointRules(selecting []*policy, ep *pod) (ingress, egress *ruleSetBuilder) {
	for _, p := range selecting {
		if p.ingress {
			if ingress == nil {
				ingress = newRuleSetBuilder()
			}
			for _, r := range p.ingressRules {
				// The endpoint is the destination: named ports are its own.
				var ports portSet
				ports.union(r.ports.numeric)
				ports.union(resolve(r.ports.named, ep))
				ingress.admit(r.peers.prefixes, ports)
			}
		}
		if p.egress {
			if egress == nil {
				egress = newRuleSetBuilder()
			}
			for _, r := range p.egressRules {
				egress.admit(r.peers.prefixes, r.ports.numeric)
				// Each peer pod is a destination of its own: a named port
				// means whatever that pod calls by the name.
				if len(r.ports.named) == 0 {
					continue
				}
				for _, peer := range r.peers.pods {
					egress.admit([]netip.Prefix{netip.PrefixFrom(peer.ip, 32)}, resolve(r.ports.named, peer))
				}
			}
		}
	}
	return ingress, egress
}
