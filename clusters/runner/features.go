package runner

import (
	"reflect"
	"slices"

	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	npav1alpha2 "sigs.k8s.io/network-policy-api/apis/v1alpha2"
	"sigs.k8s.io/yaml"

	"github.com/netpolcheck/netpolcheck/reports"
	"github.com/netpolcheck/netpolcheck/scenarios"
	"github.com/netpolcheck/netpolcheck/scenarios/truth"
)

// Step feature names, as reports.Features lists them.
const (
	featureIngress   = "ingress"
	featureEgress    = "egress"
	featureIPBlock   = "ip-block"
	featureExcept    = "except"
	featureNamedPort = "named-port"
	featureEndPort   = "end-port"
	featureUpdate    = "update"
	featureDelete    = "delete"
	featureRelabel   = "relabel"
)

// stepShape is what the next step's features are measured against: the
// policies in force ("ns/name" to the policy), the cluster policies
// ("Kind/name" to their spec) and the endpoints.
type stepShape struct {
	policies  map[string]*networkingv1.NetworkPolicy
	cluster   map[string]npav1alpha2.ClusterNetworkPolicySpec
	endpoints []string
}

func shapeOf(w *scenarios.World, endpoints []string) *stepShape {
	s := &stepShape{policies: map[string]*networkingv1.NetworkPolicy{}, cluster: map[string]npav1alpha2.ClusterNetworkPolicySpec{}, endpoints: endpoints}
	for _, p := range w.Policies {
		s.policies[p.Namespace+"/"+p.Name] = p
	}
	for _, p := range w.ClusterPolicies {
		s.cluster[scenarios.ClusterPolicyKey(scenarios.TieredKind(p), p.Name)] = p.Spec
	}
	return s
}

// stepFeatures names what the step exercises, from the world after it and
// the shape of the step before (nil for a scenario's first step): a policy
// in force before and changed is an update, one gone is a delete, and a step
// that leaves policies and endpoints as they were can only have changed
// labels.
func stepFeatures(w *scenarios.World, now, prev *stepShape) []string {
	found := map[string]bool{}
	for _, p := range w.Policies {
		for _, f := range policyFeatures(p) {
			found[f] = true
		}
	}
	if prev != nil {
		for key, before := range prev.policies {
			after, ok := now.policies[key]
			switch {
			case !ok:
				found[featureDelete] = true
			case !reflect.DeepEqual(before.Spec, after.Spec):
				found[featureUpdate] = true
			}
		}
		// A cluster policy changed, added or deleted is an update or a
		// delete too, and never a relabel.
		for key, before := range prev.cluster {
			after, ok := now.cluster[key]
			switch {
			case !ok:
				found[featureDelete] = true
			case !reflect.DeepEqual(before, after):
				found[featureUpdate] = true
			}
		}
		found[featureRelabel] = len(now.policies) == len(prev.policies) && len(now.cluster) == len(prev.cluster) &&
			!found[featureUpdate] && !found[featureDelete] && slices.Equal(now.endpoints, prev.endpoints)
	}
	var out []string
	for _, f := range []string{featureIngress, featureEgress, featureIPBlock, featureExcept, featureNamedPort, featureEndPort, featureUpdate, featureDelete, featureRelabel} {
		if found[f] {
			out = append(out, f)
		}
	}
	return out
}

// policyFeatures names what one policy uses.
func policyFeatures(p *networkingv1.NetworkPolicy) []string {
	var out []string
	ingress, egress := truth.Directions(p)
	if ingress {
		out = append(out, featureIngress)
	}
	if egress {
		out = append(out, featureEgress)
	}
	var peers []networkingv1.NetworkPolicyPeer
	var ports []networkingv1.NetworkPolicyPort
	for _, r := range p.Spec.Ingress {
		peers, ports = append(peers, r.From...), append(ports, r.Ports...)
	}
	for _, r := range p.Spec.Egress {
		peers, ports = append(peers, r.To...), append(ports, r.Ports...)
	}
	if slices.ContainsFunc(peers, func(q networkingv1.NetworkPolicyPeer) bool { return q.IPBlock != nil }) {
		out = append(out, featureIPBlock)
	}
	if slices.ContainsFunc(peers, func(q networkingv1.NetworkPolicyPeer) bool { return q.IPBlock != nil && len(q.IPBlock.Except) > 0 }) {
		out = append(out, featureExcept)
	}
	if slices.ContainsFunc(ports, func(q networkingv1.NetworkPolicyPort) bool { return q.Port != nil && q.Port.Type == intstr.String }) {
		out = append(out, featureNamedPort)
	}
	if slices.ContainsFunc(ports, func(q networkingv1.NetworkPolicyPort) bool { return q.EndPort != nil }) {
		out = append(out, featureEndPort)
	}
	return out
}

// AddLegacyFeatures gives the steps of results written before steps recorded
// their features (results.json without "features") the features their
// policies, read back from the recorded YAML, and their neighbours show, so
// that `netpolcheck report` renders old results as they were rendered then.
// Steps that carry features are left alone.
func AddLegacyFeatures(r *reports.Results) {
	for i := range r.Scenarios {
		var prev *stepShape
		for j := range r.Scenarios[i].Steps {
			st := &r.Scenarios[i].Steps[j]
			w := &scenarios.World{}
			for _, text := range st.Policies {
				var p networkingv1.NetworkPolicy
				if err := yaml.Unmarshal([]byte(text), &p); err == nil && p.Name != "" {
					w.Policies = append(w.Policies, &p)
				}
			}
			now := shapeOf(w, st.Endpoints)
			if st.Features == nil {
				st.Features = stepFeatures(w, now, prev)
				if st.Features == nil {
					st.Features = []string{}
				}
			}
			prev = now
		}
	}
}
