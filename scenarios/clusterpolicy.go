package scenarios

import (
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strings"

	yaml "go.yaml.in/yaml/v3"
	npav1alpha1 "sigs.k8s.io/network-policy-api/apis/v1alpha1"
	npav1alpha2 "sigs.k8s.io/network-policy-api/apis/v1alpha2"
)

// The cluster-scoped policy kinds of sigs.k8s.io/network-policy-api.
// ClusterNetworkPolicy is served as v1alpha2 and v1beta1 (the same schema;
// the model keeps the v1alpha2 Go types). AdminNetworkPolicy and
// BaselineAdminNetworkPolicy are v1alpha1, which OVN-Kubernetes and older
// releases implement; the model maps them onto the same tiers (see
// ClusterPolicy.Tiered).
const (
	ClusterNetworkPolicyKind       = "ClusterNetworkPolicy"
	AdminNetworkPolicyKind         = "AdminNetworkPolicy"
	BaselineAdminNetworkPolicyKind = "BaselineAdminNetworkPolicy"
)

// clusterPolicyAPIVersions are the apiVersions served for each kind.
var clusterPolicyAPIVersions = map[string][]string{
	ClusterNetworkPolicyKind:       {"policy.networking.k8s.io/v1alpha2", "policy.networking.k8s.io/v1beta1"},
	AdminNetworkPolicyKind:         {"policy.networking.k8s.io/v1alpha1"},
	BaselineAdminNetworkPolicyKind: {"policy.networking.k8s.io/v1alpha1"},
}

// ClusterPolicy is a cluster-scoped policy as a step or manifest writes it:
// exactly one field is set.
type ClusterPolicy struct {
	ClusterNetworkPolicy       *npav1alpha2.ClusterNetworkPolicy
	AdminNetworkPolicy         *npav1alpha1.AdminNetworkPolicy
	BaselineAdminNetworkPolicy *npav1alpha1.BaselineAdminNetworkPolicy
}

var clusterPolicyType = reflect.TypeFor[ClusterPolicy]()

// Kind is the object's kind.
func (p *ClusterPolicy) Kind() string {
	switch {
	case p.AdminNetworkPolicy != nil:
		return AdminNetworkPolicyKind
	case p.BaselineAdminNetworkPolicy != nil:
		return BaselineAdminNetworkPolicyKind
	}
	return ClusterNetworkPolicyKind
}

// Name is the object's name.
func (p *ClusterPolicy) Name() string {
	switch {
	case p.AdminNetworkPolicy != nil:
		return p.AdminNetworkPolicy.Name
	case p.BaselineAdminNetworkPolicy != nil:
		return p.BaselineAdminNetworkPolicy.Name
	case p.ClusterNetworkPolicy != nil:
		return p.ClusterNetworkPolicy.Name
	}
	return ""
}

// Key is the policy's key, "Kind/name" (see ClusterPolicyKey).
func (p *ClusterPolicy) Key() string { return ClusterPolicyKey(p.Kind(), p.Name()) }

// Object is the object itself, for encoding.
func (p *ClusterPolicy) Object() any {
	switch {
	case p.AdminNetworkPolicy != nil:
		return p.AdminNetworkPolicy
	case p.BaselineAdminNetworkPolicy != nil:
		return p.BaselineAdminNetworkPolicy
	}
	return p.ClusterNetworkPolicy
}

// DeepCopy copies the policy.
func (p *ClusterPolicy) DeepCopy() *ClusterPolicy {
	if p == nil {
		return nil
	}
	return &ClusterPolicy{
		ClusterNetworkPolicy:       p.ClusterNetworkPolicy.DeepCopy(),
		AdminNetworkPolicy:         p.AdminNetworkPolicy.DeepCopy(),
		BaselineAdminNetworkPolicy: p.BaselineAdminNetworkPolicy.DeepCopy(),
	}
}

// MarshalJSON writes the object.
func (p *ClusterPolicy) MarshalJSON() ([]byte, error) { return json.Marshal(p.Object()) }

// ClusterPolicyKey names a cluster policy in Delete actions, Changes and
// reports: "Kind/name", e.g. "ClusterNetworkPolicy/deny-all". A namespace
// cannot be spelled with a capital letter, so the key never reads as a
// NetworkPolicy's "ns/name".
func ClusterPolicyKey(kind, name string) string { return kind + "/" + name }

// splitClusterPolicyKey reads "Kind/name" of a cluster policy kind; ok is
// false for anything else (a NetworkPolicy's "ns/name" among them).
func splitClusterPolicyKey(key string) (kind, name string, ok bool) {
	kind, name, found := strings.Cut(key, "/")
	_, known := clusterPolicyAPIVersions[kind]
	return kind, name, found && known && name != "" && !strings.Contains(name, "/")
}

// clusterKindOf returns the kind of a mapping node when it is a cluster
// policy kind.
func clusterKindOf(n *yaml.Node) (string, bool) {
	for n != nil && n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	if n == nil {
		return "", false
	}
	kind, _ := mappingValue(n, "kind")
	_, known := clusterPolicyAPIVersions[kind]
	return kind, known
}

// clusterAction redirects an Action's "apply" and "update" to the fields that
// hold a cluster policy when the object's kind says so, so that a step
// applies either kind under the same key, as kubectl apply does.
func clusterAction(name string, val *yaml.Node) (field string, ok bool) {
	if _, cluster := clusterKindOf(val); (name != "apply" && name != "update") || !cluster {
		return "", false
	}
	if name == "apply" {
		return "ApplyCluster", true
	}
	return "UpdateCluster", true
}

// decodeClusterPolicy decodes a cluster policy object into the field of its kind.
func (d *nodeDecoder) decodeClusterPolicy(n *yaml.Node, path string, v reflect.Value) {
	kind, _ := clusterKindOf(n)
	p := v.Addr().Interface().(*ClusterPolicy)
	switch kind {
	case AdminNetworkPolicyKind:
		p.AdminNetworkPolicy = &npav1alpha1.AdminNetworkPolicy{}
	case BaselineAdminNetworkPolicyKind:
		p.BaselineAdminNetworkPolicy = &npav1alpha1.BaselineAdminNetworkPolicy{}
	default:
		p.ClusterNetworkPolicy = &npav1alpha2.ClusterNetworkPolicy{}
	}
	d.decode(n, path, reflect.ValueOf(p.Object()).Elem())
}

// checkClusterPolicyNode checks what the decoder cannot see in the Go types:
// the CRD's required fields (a zero priority and an absent one decode alike)
// and the apiVersion of the object's kind. path is the object's field path; errors carry lines.
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
	kind, _ := clusterKindOf(n)
	apiVersion, _ := mappingValue(n, "apiVersion")
	if want := clusterPolicyAPIVersions[kind]; !slices.Contains(want, apiVersion) {
		fail(n, "apiVersion", fmt.Sprintf("unsupported apiVersion %q for %s: want %s", apiVersion, kind, strings.Join(want, " or ")))
	}
	requireKeys(n, "", []string{"metadata", "spec"}, fail)
	spec, ok := mappingNode(n, "spec")
	if !ok || spec.Kind != yaml.MappingNode {
		return errs
	}
	switch kind {
	case ClusterNetworkPolicyKind:
		requireKeys(spec, "spec", []string{"tier", "priority", "subject"}, fail)
	case AdminNetworkPolicyKind:
		requireKeys(spec, "spec", []string{"priority", "subject"}, fail)
	default:
		requireKeys(spec, "spec", []string{"subject"}, fail)
	}
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
	return Action{ApplyCluster: &ClusterPolicy{ClusterNetworkPolicy: withClusterTypeMeta(p)}}
}

// UpdateCluster replaces a ClusterNetworkPolicy that must already exist.
func UpdateCluster(p *npav1alpha2.ClusterNetworkPolicy) Action {
	return Action{UpdateCluster: &ClusterPolicy{ClusterNetworkPolicy: withClusterTypeMeta(p)}}
}

// withClusterTypeMeta copies p and fills its kind and apiVersion, which the
// format requires to tell the kinds of policy apart.
func withClusterTypeMeta(p *npav1alpha2.ClusterNetworkPolicy) *npav1alpha2.ClusterNetworkPolicy {
	out := p.DeepCopy()
	out.Kind = ClusterNetworkPolicyKind
	if out.APIVersion == "" {
		out.APIVersion = clusterPolicyAPIVersions[ClusterNetworkPolicyKind][0]
	}
	return out
}

// UsesClusterPolicies tells whether any step applies, updates or deletes a
// ClusterNetworkPolicy.
func (s *Scenario) UsesClusterPolicies() bool {
	for _, step := range s.Steps {
		for _, a := range step.Actions {
			if _, _, isCluster := splitClusterPolicyKey(a.Delete); a.ApplyCluster != nil || a.UpdateCluster != nil || isCluster {
				return true
			}
		}
	}
	return false
}

// TieredKind is the kind of the object a tiered policy came from; a policy
// without one (built in code) is a ClusterNetworkPolicy.
func TieredKind(p *npav1alpha2.ClusterNetworkPolicy) string {
	if _, known := clusterPolicyAPIVersions[p.Kind]; known {
		return p.Kind
	}
	return ClusterNetworkPolicyKind
}
