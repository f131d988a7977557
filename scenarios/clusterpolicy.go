package scenarios

import (
	"encoding/json"
	"fmt"
	"strings"

	yaml "go.yaml.in/yaml/v3"
	npav1alpha2 "sigs.k8s.io/network-policy-api/apis/v1alpha2"
)

// ClusterNetworkPolicyKind is the kind of the cluster-scoped policies of
// sigs.k8s.io/network-policy-api, served as v1alpha2 and v1beta1 (the same
// schema); the model keeps them in the v1alpha2 Go types.
const ClusterNetworkPolicyKind = "ClusterNetworkPolicy"

// clusterPolicyAPIVersions are the apiVersions the CRD serves for ClusterNetworkPolicy.
var clusterPolicyAPIVersions = []string{"policy.networking.k8s.io/v1alpha2", "policy.networking.k8s.io/v1beta1"}

// ClusterPolicyKey names a cluster policy in Delete actions, Changes and
// reports: "ClusterNetworkPolicy/name". A namespace cannot be spelled with a
// capital letter, so the key never reads as a NetworkPolicy's "ns/name".
func ClusterPolicyKey(name string) string { return ClusterNetworkPolicyKind + "/" + name }

// splitClusterPolicyKey reads "ClusterNetworkPolicy/name"; ok is false for
// anything else (a NetworkPolicy's "ns/name" among them).
func splitClusterPolicyKey(key string) (name string, ok bool) {
	name, ok = strings.CutPrefix(key, ClusterNetworkPolicyKind+"/")
	return name, ok && name != "" && !strings.Contains(name, "/")
}

// clusterKindOf tells whether a mapping node is a ClusterNetworkPolicy
// object, by its kind.
func clusterKindOf(n *yaml.Node) bool {
	for n != nil && n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	if n == nil {
		return false
	}
	kind, _ := mappingValue(n, "kind")
	return kind == ClusterNetworkPolicyKind
}

// clusterAction redirects an Action's "apply" and "update" to the fields that
// hold a ClusterNetworkPolicy when the object's kind says so, so that a step
// applies either kind under the same key, as kubectl apply does.
func clusterAction(name string, val *yaml.Node) (field string, ok bool) {
	if (name != "apply" && name != "update") || !clusterKindOf(val) {
		return "", false
	}
	if name == "apply" {
		return "ApplyCluster", true
	}
	return "UpdateCluster", true
}

// checkClusterPolicyNode checks what the decoder cannot see in the Go types:
// the CRD's required fields (a zero priority and an absent one decode alike)
// and the apiVersion. path is the object's field path; errors carry lines.
func checkClusterPolicyNode(n *yaml.Node, path string) Errors {
	for n != nil && n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	if n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	var errs Errors
	fail := func(at *yaml.Node, field, msg string) {
		errs = append(errs, &InputError{Line: at.Line, Field: joinPath(path, field), Msg: msg})
	}
	apiVersion, _ := mappingValue(n, "apiVersion")
	if !containsString(clusterPolicyAPIVersions, apiVersion) {
		fail(n, "apiVersion", fmt.Sprintf("unsupported apiVersion %q for %s: want %s", apiVersion, ClusterNetworkPolicyKind, strings.Join(clusterPolicyAPIVersions, " or ")))
	}
	requireKeys(n, "", []string{"metadata", "spec"}, fail)
	spec, ok := mappingNode(n, "spec")
	if !ok || spec.Kind != yaml.MappingNode {
		return errs
	}
	requireKeys(spec, "spec", []string{"tier", "priority", "subject"}, fail)
	if subject, ok := mappingNode(spec, "subject"); ok {
		if pods, ok := mappingNode(subject, "pods"); ok {
			requireKeys(pods, "spec.subject.pods", []string{"podSelector"}, fail)
		}
	}
	for _, dir := range []struct{ rules, peers string }{{"ingress", "from"}, {"egress", "to"}} {
		rules, ok := mappingNode(spec, dir.rules)
		if !ok || rules.Kind != yaml.SequenceNode {
			continue
		}
		for i, rule := range rules.Content {
			at := indexPath(joinPath("spec", dir.rules), i)
			requireKeys(rule, at, []string{"action", dir.peers}, fail)
			peers, ok := mappingNode(rule, dir.peers)
			if !ok || peers.Kind != yaml.SequenceNode {
				continue
			}
			for j, peer := range peers.Content {
				if pods, ok := mappingNode(peer, "pods"); ok {
					requireKeys(pods, joinPath(indexPath(joinPath(at, dir.peers), j), "pods"), []string{"podSelector"}, fail)
				}
			}
		}
	}
	return errs
}

// requireKeys reports each key of want that mapping n lacks, at n's line.
func requireKeys(n *yaml.Node, path string, want []string, fail func(at *yaml.Node, field, msg string)) {
	if n.Kind != yaml.MappingNode {
		return
	}
	for _, k := range want {
		if _, ok := mappingNode(n, k); !ok {
			fail(n, joinPath(path, k), "required by the ClusterNetworkPolicy schema")
		}
	}
}

func containsString(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// MarshalJSON writes an Action as the format spells it: a cluster policy
// under "apply" or "update", like a NetworkPolicy.
func (a Action) MarshalJSON() ([]byte, error) {
	type plain Action
	switch {
	case a.ApplyCluster != nil:
		return json.Marshal(map[string]any{"apply": a.ApplyCluster})
	case a.UpdateCluster != nil:
		return json.Marshal(map[string]any{"update": a.UpdateCluster})
	}
	return json.Marshal(plain(a))
}

// ApplyCluster creates or replaces a ClusterNetworkPolicy.
func ApplyCluster(p *npav1alpha2.ClusterNetworkPolicy) Action {
	return Action{ApplyCluster: withClusterTypeMeta(p)}
}

// UpdateCluster replaces a ClusterNetworkPolicy that must already exist.
func UpdateCluster(p *npav1alpha2.ClusterNetworkPolicy) Action {
	return Action{UpdateCluster: withClusterTypeMeta(p)}
}

// withClusterTypeMeta copies p and fills its kind and apiVersion, which the
// format requires to tell the two kinds of policy apart.
func withClusterTypeMeta(p *npav1alpha2.ClusterNetworkPolicy) *npav1alpha2.ClusterNetworkPolicy {
	out := p.DeepCopy()
	out.Kind = ClusterNetworkPolicyKind
	if out.APIVersion == "" {
		out.APIVersion = clusterPolicyAPIVersions[0]
	}
	return out
}

// UsesClusterPolicies tells whether any step applies, updates or deletes a
// ClusterNetworkPolicy.
func (s *Scenario) UsesClusterPolicies() bool {
	for _, step := range s.Steps {
		for _, a := range step.Actions {
			if _, isCluster := splitClusterPolicyKey(a.Delete); a.ApplyCluster != nil || a.UpdateCluster != nil || isCluster {
				return true
			}
		}
	}
	return false
}
