package runner

import (
	"fmt"

	"github.com/netpolcheck/netpolcheck/scenarios"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	npav1alpha2 "sigs.k8s.io/network-policy-api/apis/v1alpha2"
	"sigs.k8s.io/yaml"
)

// policiesYAML renders policies as a user would write them: no status, no
// server-side metadata, so the report can be pasted into kubectl apply.
func policiesYAML(policies []*networkingv1.NetworkPolicy) []string {
	out := make([]string, 0, len(policies))
	for _, p := range policies {
		clean := struct {
			APIVersion string                         `json:"apiVersion"`
			Kind       string                         `json:"kind"`
			Metadata   map[string]any                 `json:"metadata"`
			Spec       networkingv1.NetworkPolicySpec `json:"spec"`
		}{
			APIVersion: "networking.k8s.io/v1", Kind: "NetworkPolicy",
			Metadata: metadata(p.ObjectMeta), Spec: p.Spec,
		}
		b, err := yaml.Marshal(clean)
		if err != nil {
			out = append(out, "# "+p.Namespace+"/"+p.Name+": "+err.Error())
			continue
		}
		out = append(out, string(b))
	}
	return out
}

// clusterPoliciesYAML renders ClusterNetworkPolicies the same way.
func clusterPoliciesYAML(policies []*npav1alpha2.ClusterNetworkPolicy) []string {
	out := make([]string, 0, len(policies))
	for _, p := range policies {
		md := metadata(p.ObjectMeta)
		delete(md, "namespace")
		clean := struct {
			APIVersion string                               `json:"apiVersion"`
			Kind       string                               `json:"kind"`
			Metadata   map[string]any                       `json:"metadata"`
			Spec       npav1alpha2.ClusterNetworkPolicySpec `json:"spec"`
		}{APIVersion: "policy.networking.k8s.io/v1alpha2", Kind: "ClusterNetworkPolicy", Metadata: md, Spec: p.Spec}
		b, err := yaml.Marshal(clean)
		if err != nil {
			out = append(out, "# ClusterNetworkPolicy/"+p.Name+": "+err.Error())
			continue
		}
		out = append(out, string(b))
	}
	return out
}

func metadata(m metav1.ObjectMeta) map[string]any {
	md := map[string]any{"name": m.Name, "namespace": m.Namespace}
	if len(m.Labels) > 0 {
		md["labels"] = m.Labels
	}
	if len(m.Annotations) > 0 {
		md["annotations"] = m.Annotations
	}
	return md
}

// peersNotJudged says which ClusterNetworkPolicy peers no cell can test:
// domain names match by DNS name, never by address, and node peers match
// node addresses, which no endpoint of a scenario has. The oracle has them
// match no endpoint; every step in force says so.
func peersNotJudged(w *scenarios.World) []string {
	var out []string
	for _, p := range w.ClusterPolicies {
		for i, r := range p.Spec.Egress {
			for j, peer := range r.To {
				at := fmt.Sprintf("%s egress rule %d peer %d", scenarios.ClusterPolicyKey(scenarios.TieredKind(p), p.Name), i, j)
				switch {
				case peer.DomainNames != nil:
					out = append(out, at+": domainNames match by DNS name and cannot be judged by address; no cell tests them")
				case peer.Nodes != nil:
					out = append(out, at+": nodes match node addresses, which no endpoint of the scenario has; no cell tests them")
				}
			}
		}
	}
	return out
}
