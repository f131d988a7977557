package scenarios

import (
	"fmt"
	"maps"
)

// resolvePodLabels copies the pod's labels, lets change edit them, and makes
// a LabelPod change carrying the complete new set.
func (st *State) resolvePodLabels(ref string, change func(map[string]string) Errors) (Change, Errors) {
	i, errs := st.findPod(ref, "pod")
	if errs != nil {
		return Change{}, errs
	}
	p := clonePod(st.pods[i])
	if p.Labels == nil {
		p.Labels = map[string]string{}
	}
	if errs := change(p.Labels); len(errs) > 0 {
		return Change{}, errs
	}
	return Change{Kind: LabelPod, Pod: &p}, nil
}

func (st *State) resolveNamespaceLabels(name string, change func(map[string]string) Errors) (Change, Errors) {
	i := st.namespaceIndex(name)
	if i < 0 {
		return Change{}, Errors{fieldErr("namespace", fmt.Sprintf("namespace %q does not exist", name))}
	}
	ns := Namespace{Name: name, Labels: maps.Clone(st.namespaces[i].Labels)}
	if errs := change(ns.Labels); len(errs) > 0 {
		return Change{}, errs
	}
	return Change{Kind: LabelNamespace, Namespace: &ns}, nil
}

func setLabels(labels, add map[string]string, field string) Errors {
	if len(add) == 0 {
		return Errors{fieldErr(field, "at least one label is required")}
	}
	if errs := checkLabels(add, field); len(errs) > 0 {
		return errs
	}
	maps.Copy(labels, add)
	return nil
}

// removeLabels refuses keys the object does not have: such a step would test
// nothing, and is most likely a typo.
func removeLabels(labels map[string]string, keys []string, field, owner string) Errors {
	if len(keys) == 0 {
		return Errors{fieldErr(field, "at least one key is required")}
	}
	for i, k := range keys {
		if _, ok := labels[k]; !ok {
			return Errors{fieldErr(indexPath(field, i), fmt.Sprintf("%s has no label %q", owner, k))}
		}
		delete(labels, k)
	}
	return nil
}
