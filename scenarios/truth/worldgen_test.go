package truth

import (
	"net/netip"
	"reflect"
	"testing"

	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

func TestGenerateWorld(t *testing.T) {
	tests := []struct {
		seed                       int64
		pods, namespaces, policies int
		wantExternals, wantTargets int
	}{
		{seed: 1, pods: 10, namespaces: 3, policies: 5, wantExternals: 1, wantTargets: 10*4 + 1*2},
		{seed: 2, pods: 1000, namespaces: 20, policies: 500, wantExternals: 5, wantTargets: 1000*4 + 5*2},
		{seed: 3, pods: 0, namespaces: 0, policies: 2, wantExternals: 1, wantTargets: 2},
	}
	for _, tt := range tests {
		w := GenerateWorld(tt.seed, tt.pods, tt.namespaces, tt.policies)
		if len(w.Pods) != tt.pods || len(w.Namespaces) != max(tt.namespaces, 1) || len(w.Policies) != tt.policies || len(w.ExternalHosts) != tt.wantExternals {
			t.Errorf("GenerateWorld(%d, %d, %d, %d): %d pods, %d namespaces, %d policies, %d external hosts",
				tt.seed, tt.pods, tt.namespaces, tt.policies, len(w.Pods), len(w.Namespaces), len(w.Policies), len(w.ExternalHosts))
		}
		if got := len(Compute(w).Targets); got != tt.wantTargets {
			t.Errorf("GenerateWorld(%d, ...): %d targets, want %d", tt.seed, got, tt.wantTargets)
		}
		if again := GenerateWorld(tt.seed, tt.pods, tt.namespaces, tt.policies); !reflect.DeepEqual(w, again) {
			t.Errorf("GenerateWorld(%d, ...) is not reproducible", tt.seed)
		}
	}
}

// TestGenerateWorldIsValid checks the rules the API server would enforce on
// what the generator writes, since other engineers apply its worlds to clusters.
func TestGenerateWorldIsValid(t *testing.T) {
	w := GenerateWorld(4, 300, 6, 300)
	ips := map[string]bool{}
	for _, p := range w.Pods {
		if _, err := netip.ParseAddr(p.IP); err != nil || ips[p.IP] {
			t.Errorf("pod %s has a bad or duplicate address %q", p.ID(), p.IP)
		}
		ips[p.IP] = true
		names := map[string]bool{}
		for _, port := range p.Ports {
			if port.Name != "" && names[port.Name] {
				t.Errorf("pod %s names two ports %q", p.ID(), port.Name)
			}
			names[port.Name] = true
		}
	}
	for _, p := range w.Policies {
		if !selectorValid(&p.Spec.PodSelector) {
			t.Errorf("policy %s has an invalid podSelector", p.Name)
		}
		for _, r := range p.Spec.Ingress {
			checkPeersValid(t, p.Name, r.From)
			checkPortsValid(t, p.Name, r.Ports)
		}
		for _, r := range p.Spec.Egress {
			checkPeersValid(t, p.Name, r.To)
			checkPortsValid(t, p.Name, r.Ports)
		}
	}
	allowed, cells := 0, 0
	for c := range Compute(w).Cells() {
		cells++
		if c.Allowed {
			allowed++
		}
	}
	if allowed*20 < cells || allowed*20 > cells*19 {
		t.Errorf("%d of %d cells allowed: the generated policies are too weak or too strong to test anything", allowed, cells)
	}
}

func selectorValid(sel *metav1.LabelSelector) bool {
	for _, req := range sel.MatchExpressions {
		switch req.Operator {
		case metav1.LabelSelectorOpIn, metav1.LabelSelectorOpNotIn:
			if len(req.Values) == 0 {
				return false
			}
		case metav1.LabelSelectorOpExists, metav1.LabelSelectorOpDoesNotExist:
			if len(req.Values) != 0 {
				return false
			}
		default:
			return false
		}
	}
	return true
}

func checkPeersValid(t *testing.T, policy string, peers []networkingv1.NetworkPolicyPeer) {
	t.Helper()
	for _, p := range peers {
		switch {
		case p.IPBlock != nil:
			cidr, err := netip.ParsePrefix(p.IPBlock.CIDR)
			if err != nil || p.PodSelector != nil || p.NamespaceSelector != nil {
				t.Errorf("policy %s: bad ipBlock peer %+v", policy, p)
				continue
			}
			for _, e := range p.IPBlock.Except {
				except, err := netip.ParsePrefix(e)
				if err != nil || except.Bits() <= cidr.Bits() || !cidr.Contains(except.Addr()) {
					t.Errorf("policy %s: except %q is not strictly inside %q", policy, e, p.IPBlock.CIDR)
				}
			}
		case p.PodSelector == nil && p.NamespaceSelector == nil:
			t.Errorf("policy %s: empty peer", policy)
		default:
			for _, sel := range []*metav1.LabelSelector{p.PodSelector, p.NamespaceSelector} {
				if sel != nil && !selectorValid(sel) {
					t.Errorf("policy %s: invalid selector %+v", policy, sel)
				}
			}
		}
	}
}

func checkPortsValid(t *testing.T, policy string, ports []networkingv1.NetworkPolicyPort) {
	t.Helper()
	for _, p := range ports {
		if p.EndPort == nil {
			continue
		}
		if p.Port == nil || p.Port.Type != intstr.Int || *p.EndPort < p.Port.IntVal {
			t.Errorf("policy %s: bad endPort in %+v", policy, p)
		}
	}
}
