package scenarios

import (
	"fmt"
	"maps"
	"strings"

	networkingv1 "k8s.io/api/networking/v1"
)

// actionFields names the fields of Action in the order the format documents them.
var actionFields = []string{"apply", "update", "delete", "setPodLabels", "removePodLabels",
	"setNamespaceLabels", "removeNamespaceLabels", "createPod", "deletePod", "createNamespace", "deleteNamespace",
	"apply", "update"}

// setFields lists which fields of a tagged-union Action are set.
func (a Action) setFields() []string {
	set := []bool{a.Apply != nil, a.Update != nil, a.Delete != "", a.SetPodLabels != nil, a.RemovePodLabels != nil,
		a.SetNamespaceLabels != nil, a.RemoveNamespaceLabels != nil, a.CreatePod != nil, a.DeletePod != "",
		a.CreateNamespace != nil, a.DeleteNamespace != "", a.ApplyCluster != nil, a.UpdateCluster != nil}
	var out []string
	for i, ok := range set {
		if ok {
			out = append(out, actionFields[i])
		}
	}
	return out
}

// Resolve checks an action against the current world and turns it into a
// Change: placeholders expanded with current IPs, references checked, labels
// complete, a new pod's address planned. It does not change the State. Error
// fields are relative to the action ("apply.spec.ingress[0]...").
func (st *State) Resolve(a Action) (Change, error) {
	set := a.setFields()
	switch len(set) {
	case 0:
		return Change{}, Errors{fieldErr("", "no action set: set exactly one of "+strings.Join(actionFields[:11], ", "))}
	case 1:
	default:
		return Change{}, Errors{fieldErr("", fmt.Sprintf("sets %s: an action sets exactly one field", strings.Join(set, " and ")))}
	}
	c, errs := st.resolve(a, set[0])
	return c, prefixed(set[0], errs).orNil()
}

func (st *State) resolve(a Action, field string) (Change, Errors) {
	switch field {
	case "apply":
		if a.ApplyCluster != nil {
			return st.resolveClusterPolicy(a.ApplyCluster, false)
		}
		return st.resolvePolicy(a.Apply, false)
	case "update":
		if a.UpdateCluster != nil {
			return st.resolveClusterPolicy(a.UpdateCluster, true)
		}
		return st.resolvePolicy(a.Update, true)
	case "delete":
		if _, _, ok := splitClusterPolicyKey(a.Delete); ok {
			if _, exists := st.clusterPolicies[a.Delete]; !exists {
				return Change{}, Errors{fieldErr("", fmt.Sprintf("policy %q does not exist", a.Delete))}
			}
			return Change{Kind: DeleteClusterPolicy, PolicyKey: a.Delete}, nil
		}
		ns, name, ok := splitKey(a.Delete)
		if !ok {
			return Change{}, Errors{fieldErr("", fmt.Sprintf("invalid policy %q: want namespace/name, or ClusterNetworkPolicy/name", a.Delete))}
		}
		if _, exists := st.policies[ns+"/"+name]; !exists {
			return Change{}, Errors{fieldErr("", fmt.Sprintf("policy %q does not exist", a.Delete))}
		}
		return Change{Kind: DeletePolicy, PolicyKey: a.Delete}, nil
	case "setPodLabels":
		return st.resolvePodLabels(a.SetPodLabels.Pod, func(labels map[string]string) Errors {
			return setLabels(labels, a.SetPodLabels.Labels, "labels")
		})
	case "removePodLabels":
		return st.resolvePodLabels(a.RemovePodLabels.Pod, func(labels map[string]string) Errors {
			return removeLabels(labels, a.RemovePodLabels.Keys, "keys", "pod "+a.RemovePodLabels.Pod)
		})
	case "setNamespaceLabels":
		ns := a.SetNamespaceLabels.Namespace
		return st.resolveNamespaceLabels(ns, func(labels map[string]string) Errors {
			errs := setLabels(labels, a.SetNamespaceLabels.Labels, "labels")
			if v, ok := a.SetNamespaceLabels.Labels[NamespaceNameLabel]; ok && v != ns {
				errs = append(errs, &InputError{Field: "labels", at: joinPath("labels", NamespaceNameLabel),
					Msg: fmt.Sprintf("label %s must equal the namespace name %q", NamespaceNameLabel, ns)})
			}
			return errs
		})
	case "removeNamespaceLabels":
		ns := a.RemoveNamespaceLabels.Namespace
		return st.resolveNamespaceLabels(ns, func(labels map[string]string) Errors {
			for i, k := range a.RemoveNamespaceLabels.Keys {
				if k == NamespaceNameLabel {
					return Errors{fieldErr(indexPath("keys", i), fmt.Sprintf("cannot remove %s: the API server keeps it", k))}
				}
			}
			return removeLabels(labels, a.RemoveNamespaceLabels.Keys, "keys", "namespace "+ns)
		})
	case "createPod":
		return st.resolveCreatePod(a.CreatePod)
	case "deletePod":
		i, errs := st.findPod(a.DeletePod, "")
		if errs != nil {
			return Change{}, errs
		}
		p := clonePod(st.pods[i])
		return Change{Kind: RemovePod, Pod: &p}, nil
	case "createNamespace":
		return st.resolveCreateNamespace(a.CreateNamespace)
	default: // deleteNamespace
		i := st.namespaceIndex(a.DeleteNamespace)
		if i < 0 {
			return Change{}, Errors{fieldErr("", fmt.Sprintf("namespace %q does not exist", a.DeleteNamespace))}
		}
		ns := Namespace{Name: a.DeleteNamespace, Labels: maps.Clone(st.namespaces[i].Labels)}
		return Change{Kind: RemoveNamespace, Namespace: &ns}, nil
	}
}

func (st *State) resolvePolicy(p *networkingv1.NetworkPolicy, mustExist bool) (Change, Errors) {
	var errs Errors
	if msg := nameProblem(p.Name, true); msg != "" {
		errs = append(errs, fieldErr("metadata.name", msg))
	}
	switch {
	case p.Namespace == "":
		errs = append(errs, fieldErr("metadata.namespace", "required: a policy must name its namespace"))
	case st.namespaceIndex(p.Namespace) < 0:
		errs = append(errs, fieldErr("metadata.namespace", fmt.Sprintf("namespace %q does not exist", p.Namespace)))
	}
	if len(errs) > 0 {
		return Change{}, errs
	}
	if _, exists := st.policies[p.Namespace+"/"+p.Name]; mustExist && !exists {
		return Change{}, Errors{fieldErr("metadata.name", fmt.Sprintf("policy %q does not exist", p.Namespace+"/"+p.Name))}
	}
	expanded, err := ExpandPlaceholders(p, st.ipOf)
	if err != nil {
		return Change{}, asErrors(err)
	}
	if errs := checkPolicySpec(&expanded.Spec, "spec"); len(errs) > 0 {
		return Change{}, errs
	}
	return Change{Kind: ApplyPolicy, Policy: expanded}, nil
}

// findPod looks up a "ns/pod" reference; field is where the reference sits.
func (st *State) findPod(ref, field string) (int, Errors) {
	if _, _, ok := splitKey(ref); !ok {
		return -1, Errors{fieldErr(field, fmt.Sprintf("invalid pod %q: want namespace/pod", ref))}
	}
	i := st.podIndex(ref)
	if i < 0 {
		return -1, Errors{fieldErr(field, fmt.Sprintf("pod %q does not exist", ref))}
	}
	return i, nil
}

func (st *State) resolveCreatePod(c *CreatePod) (Change, Errors) {
	if st.namespaceIndex(c.Namespace) < 0 {
		return Change{}, Errors{fieldErr("namespace", fmt.Sprintf("namespace %q does not exist", c.Namespace))}
	}
	if st.podIndex(c.Namespace+"/"+c.Name) >= 0 {
		return Change{}, Errors{fieldErr("name", fmt.Sprintf("pod %q already exists", c.Namespace+"/"+c.Name))}
	}
	p, errs := st.planPod(c.Namespace, c.PodSpec, "")
	if errs != nil {
		return Change{}, errs
	}
	return Change{Kind: AddPod, Pod: &p}, nil
}

func (st *State) resolveCreateNamespace(spec *NamespaceSpec) (Change, Errors) {
	if msg := nameProblem(spec.Name, false); msg != "" {
		return Change{}, Errors{fieldErr("name", msg)}
	}
	if st.namespaceIndex(spec.Name) >= 0 {
		return Change{}, Errors{fieldErr("name", fmt.Sprintf("namespace %q already exists", spec.Name))}
	}
	if len(spec.Pods) > 0 {
		return Change{}, Errors{fieldErr("pods", "createNamespace cannot create pods: add createPod actions after it")}
	}
	labels, errs := namespaceLabels(spec.Name, spec.Labels, "labels")
	if errs != nil {
		return Change{}, errs
	}
	return Change{Kind: AddNamespace, Namespace: &Namespace{Name: spec.Name, Labels: labels}}, nil
}
