package library

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"

	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	npav1alpha2 "sigs.k8s.io/network-policy-api/apis/v1alpha2"

	"github.com/netpolcheck/netpolcheck/scenarios"
	"github.com/netpolcheck/netpolcheck/scenarios/truth"
)

// unobservableOnPurpose lists the parts of policies that no cell can depend
// on, as "scenario policy path"; an entry covers the parts under its path
// too. Every other part must change the truth table of some step when it is
// taken away, or the model is too small to test it.
var unobservableOnPurpose = []string{
	// The default deny's egress half keeps frontend from backend whatever backend admits.
	"seed000-default-deny-then-allow my-namespace/allow-frontend-to-backend ingress[0]",
	// y/b admits x/a, but x/a's own egress policy sends it to y/a only.
	"upstream-egress-client-side-deny y/allow-from-xa-on-yb-match-selector ingress[0]",
	// An ipBlock of 0.0.0.0/0 holds every IPv4 address: it is the same as no peer list.
	"seed003-deny-all-then-allow-web default/allow-web ingress[0].from",
	"seed003-three-tier default/allow-frontend-ingress ingress[0].from",
	// domainNames match by DNS name, never by address: no cell can depend on them.
	"cnp-networks-match-pods-too ClusterNetworkPolicy/tenant-a-allowlist egress[0]",
	"cnp-networks-match-pods-too ClusterNetworkPolicy/tenant-a-allowlist egress[1]",
	// Their v1alpha1 twin says the same.
	"cnp-networks-match-pods-too-v1alpha1 AdminNetworkPolicy/tenant-a-allowlist egress[0]",
	"cnp-networks-match-pods-too-v1alpha1 AdminNetworkPolicy/tenant-a-allowlist egress[1]",
}

// excusedBy is the entry of unobservableOnPurpose that covers id, if any.
func excusedBy(id string) (string, bool) {
	for _, e := range unobservableOnPurpose {
		if id == e || strings.HasPrefix(id, e+".") {
			return e, true
		}
	}
	return "", false
}

// verdicts is a truth table as a flat list, for equality tests: a, b or u
// (undefined) per cell.
func verdicts(w *scenarios.World) []byte {
	var out []byte
	for c := range truth.Compute(w).Cells() {
		switch {
		case c.Undefined:
			out = append(out, 'u')
		case c.Allowed:
			out = append(out, 'a')
		default:
			out = append(out, 'b')
		}
	}
	return out
}

// clusterAblation is a cluster policy with one rule, peer or protocol list taken away.
type clusterAblation struct {
	path   string
	policy *npav1alpha2.ClusterNetworkPolicy
}

// clusterAblations lists every way of taking one part of a cluster policy
// away: each rule; each peer of a rule with several, as those are ORed; and
// a rule's protocols, which widens it to every port.
func clusterAblations(p *npav1alpha2.ClusterNetworkPolicy) []clusterAblation {
	var out []clusterAblation
	add := func(path string, edit func(*npav1alpha2.ClusterNetworkPolicySpec)) {
		cp := p.DeepCopy()
		edit(&cp.Spec)
		out = append(out, clusterAblation{path: path, policy: cp})
	}
	for i, r := range p.Spec.Ingress {
		at := fmt.Sprintf("ingress[%d]", i)
		add(at, func(s *npav1alpha2.ClusterNetworkPolicySpec) { s.Ingress = slices.Delete(s.Ingress, i, i+1) })
		for j := range r.From {
			if len(r.From) > 1 {
				add(fmt.Sprintf("%s.from[%d]", at, j), func(s *npav1alpha2.ClusterNetworkPolicySpec) {
					s.Ingress[i].From = slices.Delete(s.Ingress[i].From, j, j+1)
				})
			}
		}
		if r.Protocols != nil {
			add(at+".protocols", func(s *npav1alpha2.ClusterNetworkPolicySpec) { s.Ingress[i].Protocols = nil })
		}
	}
	for i, r := range p.Spec.Egress {
		at := fmt.Sprintf("egress[%d]", i)
		add(at, func(s *npav1alpha2.ClusterNetworkPolicySpec) { s.Egress = slices.Delete(s.Egress, i, i+1) })
		for j := range r.To {
			if len(r.To) > 1 {
				add(fmt.Sprintf("%s.to[%d]", at, j), func(s *npav1alpha2.ClusterNetworkPolicySpec) { s.Egress[i].To = slices.Delete(s.Egress[i].To, j, j+1) })
			}
		}
		if r.Protocols != nil {
			add(at+".protocols", func(s *npav1alpha2.ClusterNetworkPolicySpec) { s.Egress[i].Protocols = nil })
		}
	}
	return out
}

// ablation is a policy with one rule, peer or port taken away.
type ablation struct {
	path   string // "ingress[0]", "egress[1].to[0]", ...
	policy *networkingv1.NetworkPolicy
}

// ablations lists every way of taking one part of p away: each rule; the
// peer list and the port list of a rule, which widens it to every peer or
// every port; each peer and port of rules that have more than one, as those
// are ORed; each
// half of a peer that ANDs a namespace and a pod selector (an empty
// podSelector there means nothing, so it is kept); and each ipBlock except.
func ablations(p *networkingv1.NetworkPolicy) []ablation {
	var out []ablation
	add := func(path string, cut func(q *networkingv1.NetworkPolicySpec)) {
		q := p.DeepCopy()
		cut(&q.Spec)
		out = append(out, ablation{path: path, policy: q})
	}
	for r, rule := range p.Spec.Ingress {
		at := fmt.Sprintf("ingress[%d]", r)
		add(at, func(q *networkingv1.NetworkPolicySpec) { q.Ingress = slices.Delete(q.Ingress, r, r+1) })
		if len(rule.From) > 0 {
			add(at+".from", func(q *networkingv1.NetworkPolicySpec) { q.Ingress[r].From = nil })
		}
		if len(rule.Ports) > 0 {
			add(at+".ports", func(q *networkingv1.NetworkPolicySpec) { q.Ingress[r].Ports = nil })
		}
		if len(rule.From) > 1 {
			for k := range rule.From {
				add(fmt.Sprintf("%s.from[%d]", at, k), func(q *networkingv1.NetworkPolicySpec) {
					q.Ingress[r].From = slices.Delete(q.Ingress[r].From, k, k+1)
				})
			}
		}
		for k, peer := range rule.From {
			peerAblations(peer, fmt.Sprintf("%s.from[%d]", at, k), func(q *networkingv1.NetworkPolicySpec) *networkingv1.NetworkPolicyPeer {
				return &q.Ingress[r].From[k]
			}, add)
		}
		if len(rule.Ports) > 1 {
			for k := range rule.Ports {
				add(fmt.Sprintf("%s.ports[%d]", at, k), func(q *networkingv1.NetworkPolicySpec) {
					q.Ingress[r].Ports = slices.Delete(q.Ingress[r].Ports, k, k+1)
				})
			}
		}
	}
	for r, rule := range p.Spec.Egress {
		at := fmt.Sprintf("egress[%d]", r)
		add(at, func(q *networkingv1.NetworkPolicySpec) { q.Egress = slices.Delete(q.Egress, r, r+1) })
		if len(rule.To) > 0 {
			add(at+".to", func(q *networkingv1.NetworkPolicySpec) { q.Egress[r].To = nil })
		}
		if len(rule.Ports) > 0 {
			add(at+".ports", func(q *networkingv1.NetworkPolicySpec) { q.Egress[r].Ports = nil })
		}
		if len(rule.To) > 1 {
			for k := range rule.To {
				add(fmt.Sprintf("%s.to[%d]", at, k), func(q *networkingv1.NetworkPolicySpec) {
					q.Egress[r].To = slices.Delete(q.Egress[r].To, k, k+1)
				})
			}
		}
		for k, peer := range rule.To {
			peerAblations(peer, fmt.Sprintf("%s.to[%d]", at, k), func(q *networkingv1.NetworkPolicySpec) *networkingv1.NetworkPolicyPeer {
				return &q.Egress[r].To[k]
			}, add)
		}
		if len(rule.Ports) > 1 {
			for k := range rule.Ports {
				add(fmt.Sprintf("%s.ports[%d]", at, k), func(q *networkingv1.NetworkPolicySpec) {
					q.Egress[r].Ports = slices.Delete(q.Egress[r].Ports, k, k+1)
				})
			}
		}
	}
	return out
}

// peerAblations adds the ablations inside one peer; at finds the peer in a copy of the spec.
func peerAblations(peer networkingv1.NetworkPolicyPeer, path string, at func(*networkingv1.NetworkPolicySpec) *networkingv1.NetworkPolicyPeer, add func(string, func(*networkingv1.NetworkPolicySpec))) {
	if peer.PodSelector != nil && peer.NamespaceSelector != nil {
		add(path+".namespaceSelector", func(q *networkingv1.NetworkPolicySpec) { at(q).NamespaceSelector = nil })
		if len(peer.PodSelector.MatchLabels)+len(peer.PodSelector.MatchExpressions) > 0 {
			add(path+".podSelector", func(q *networkingv1.NetworkPolicySpec) { at(q).PodSelector = nil })
		}
	}
	if peer.IPBlock != nil {
		for j := range peer.IPBlock.Except {
			add(fmt.Sprintf("%s.ipBlock.except[%d]", path, j), func(q *networkingv1.NetworkPolicySpec) {
				b := at(q).IPBlock
				b.Except = slices.Delete(b.Except, j, j+1)
			})
		}
	}
}

func TestAblations(t *testing.T) {
	p := &networkingv1.NetworkPolicy{Spec: networkingv1.NetworkPolicySpec{
		Ingress: []networkingv1.NetworkPolicyIngressRule{
			{From: []networkingv1.NetworkPolicyPeer{{}, {}}, Ports: []networkingv1.NetworkPolicyPort{{}}},
			{From: []networkingv1.NetworkPolicyPeer{
				{PodSelector: &metav1.LabelSelector{}, NamespaceSelector: &metav1.LabelSelector{}},
				{PodSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"pod": "a"}}, NamespaceSelector: &metav1.LabelSelector{}},
			}},
		},
		Egress: []networkingv1.NetworkPolicyEgressRule{
			{},
			{Ports: []networkingv1.NetworkPolicyPort{{}, {}}},
			{To: []networkingv1.NetworkPolicyPeer{{IPBlock: &networkingv1.IPBlock{CIDR: "10.0.0.0/8", Except: []string{"10.1.0.0/16", "10.2.0.0/16"}}}}},
		},
	}}
	var paths []string
	for _, a := range ablations(p) {
		paths = append(paths, a.path)
	}
	want := []string{
		"ingress[0]", "ingress[0].from", "ingress[0].ports", "ingress[0].from[0]", "ingress[0].from[1]",
		"ingress[1]", "ingress[1].from", "ingress[1].from[0]", "ingress[1].from[1]",
		"ingress[1].from[0].namespaceSelector",
		"ingress[1].from[1].namespaceSelector", "ingress[1].from[1].podSelector",
		"egress[0]", "egress[1]", "egress[1].ports", "egress[1].ports[0]", "egress[1].ports[1]",
		"egress[2]", "egress[2].to", "egress[2].to[0].ipBlock.except[0]", "egress[2].to[0].ipBlock.except[1]",
	}
	if !slices.Equal(paths, want) {
		t.Errorf("ablation paths = %q, want %q", paths, want)
	}
	cuts := map[string]*networkingv1.NetworkPolicy{}
	for _, a := range ablations(p) {
		cuts[a.path] = a.policy
	}
	if got := cuts["egress[2].to[0].ipBlock.except[0]"].Spec.Egress[2].To[0].IPBlock.Except; !slices.Equal(got, []string{"10.2.0.0/16"}) {
		t.Errorf("except after cutting except[0] = %q, want [10.2.0.0/16]", got)
	}
	if peer := cuts["ingress[1].from[1].podSelector"].Spec.Ingress[1].From[1]; peer.PodSelector != nil || peer.NamespaceSelector == nil {
		t.Errorf("cutting the podSelector left %+v", peer)
	}
	if len(p.Spec.Ingress[0].From) != 2 || len(p.Spec.Egress) != 3 || len(p.Spec.Egress[2].To[0].IPBlock.Except) != 2 || p.Spec.Ingress[1].From[1].PodSelector == nil {
		t.Error("ablations changed the policy they were made from")
	}
}

// TestEveryRuleIsObservable takes each rule, peer and port of every policy
// in force away in turn and requires the truth table of at least one step to
// change: a rule no cell depends on is not tested by its scenario.
func TestEveryRuleIsObservable(t *testing.T) {
	excused := map[string]bool{}
	for _, s := range mustBuiltin(t) {
		t.Run(s.Name, func(t *testing.T) {
			st, err := scenarios.NewState(s)
			if err != nil {
				t.Fatalf("model: %v", err)
			}
			observed := map[string]bool{} // "ns/name path spec" -> changed some step's table
			var order []string
			for i, step := range s.Steps {
				for _, a := range step.Actions {
					c, err := st.Resolve(a)
					if err == nil {
						err = st.Commit(c)
					}
					if err != nil {
						t.Fatalf("step %d %q: %v", i+1, step.Name, err)
					}
				}
				w := st.World()
				base := verdicts(w)
				for pi, p := range w.Policies {
					spec, err := json.Marshal(p.Spec)
					if err != nil {
						t.Fatalf("marshal %s/%s: %v", p.Namespace, p.Name, err)
					}
					for _, ab := range ablations(p) {
						key := fmt.Sprintf("%s/%s %s %s", p.Namespace, p.Name, ab.path, spec)
						if _, seen := observed[key]; !seen {
							order = append(order, key)
						}
						cut := *w
						cut.Policies = slices.Clone(w.Policies)
						cut.Policies[pi] = ab.policy
						observed[key] = observed[key] || !slices.Equal(verdicts(&cut), base)
					}
				}
				for pi, p := range w.ClusterPolicies {
					spec, err := json.Marshal(p.Spec)
					if err != nil {
						t.Fatalf("marshal %s: %v", p.Name, err)
					}
					for _, ab := range clusterAblations(p) {
						key := fmt.Sprintf("%s %s %s", scenarios.ClusterPolicyKey(scenarios.TieredKind(p), p.Name), ab.path, spec)
						if _, seen := observed[key]; !seen {
							order = append(order, key)
						}
						cut := *w
						cut.ClusterPolicies = slices.Clone(w.ClusterPolicies)
						cut.ClusterPolicies[pi] = ab.policy
						observed[key] = observed[key] || !slices.Equal(verdicts(&cut), base)
					}
				}
			}
			for _, key := range order {
				var policy, path string
				fmt.Sscan(key, &policy, &path)
				if observed[key] {
					continue
				}
				if entry, ok := excusedBy(s.Name + " " + policy + " " + path); ok {
					excused[entry] = true
					continue
				}
				t.Errorf("%s %s changes no cell of any step", policy, path)
			}
		})
	}
	for _, entry := range unobservableOnPurpose {
		if !excused[entry] {
			t.Errorf("unobservableOnPurpose lists %q, which covers nothing that goes unobserved", entry)
		}
	}
}
