package scenarios

import (
	"maps"
	"slices"

	networkingv1 "k8s.io/api/networking/v1"
)

// The constructors below make Actions for the builder; each mirrors the YAML
// action of the same name. They copy their arguments, so that later edits by
// the caller do not change a scenario.

// Apply creates or replaces a NetworkPolicy.
func Apply(p *networkingv1.NetworkPolicy) Action { return Action{Apply: p.DeepCopy()} }

// Update replaces a NetworkPolicy that must already exist.
func Update(p *networkingv1.NetworkPolicy) Action { return Action{Update: p.DeepCopy()} }

// Delete removes the NetworkPolicy "ns/name".
func Delete(policy string) Action { return Action{Delete: policy} }

// SetPodLabels adds or overwrites labels of the pod "ns/pod".
func SetPodLabels(pod string, labels map[string]string) Action {
	return Action{SetPodLabels: &PodLabels{Pod: pod, Labels: maps.Clone(labels)}}
}

// RemovePodLabels removes label keys from the pod "ns/pod".
func RemovePodLabels(pod string, keys ...string) Action {
	return Action{RemovePodLabels: &PodLabelKeys{Pod: pod, Keys: slices.Clone(keys)}}
}

// SetNamespaceLabels adds or overwrites labels of a namespace.
func SetNamespaceLabels(ns string, labels map[string]string) Action {
	return Action{SetNamespaceLabels: &NamespaceLabels{Namespace: ns, Labels: maps.Clone(labels)}}
}

// RemoveNamespaceLabels removes label keys from a namespace.
func RemoveNamespaceLabels(ns string, keys ...string) Action {
	return Action{RemoveNamespaceLabels: &NamespaceKeys{Namespace: ns, Keys: slices.Clone(keys)}}
}

// CreatePodIn adds a pod to an existing namespace. (CreatePod is the action's type.)
func CreatePodIn(ns string, pod PodSpec) Action {
	return Action{CreatePod: &CreatePod{Namespace: ns, PodSpec: clonePodSpec(pod)}}
}

// DeletePod removes the pod "ns/pod".
func DeletePod(pod string) Action { return Action{DeletePod: pod} }

// CreateNamespace adds an empty namespace; pods follow with CreatePodIn.
func CreateNamespace(name string, labels map[string]string) Action {
	return Action{CreateNamespace: &NamespaceSpec{Name: name, Labels: maps.Clone(labels)}}
}

// DeleteNamespace removes a namespace with its pods and policies.
func DeleteNamespace(name string) Action { return Action{DeleteNamespace: name} }

// PodNamed declares a pod for Namespace and CreatePodIn. (Pod is the model type.)
func PodNamed(name string, labels map[string]string, ports ...Port) PodSpec {
	return PodSpec{Name: name, Labels: maps.Clone(labels), Ports: slices.Clone(ports)}
}

// AllowRule expects traffic from a peer to a peer on a port (On syntax) to be allowed.
func AllowRule(from, to, on string) ExpectRule { return ExpectRule{Allow: from, To: to, On: on} }

// DenyRule expects traffic from a peer to a peer on a port (On syntax) to be blocked.
func DenyRule(from, to, on string) ExpectRule { return ExpectRule{Deny: from, To: to, On: on} }

// clone copies an action with its policy and label maps.
func (a Action) clone() Action {
	out := a
	if a.Apply != nil {
		out.Apply = a.Apply.DeepCopy()
	}
	if a.Update != nil {
		out.Update = a.Update.DeepCopy()
	}
	if a.ApplyCluster != nil {
		out.ApplyCluster = a.ApplyCluster.DeepCopy()
	}
	if a.UpdateCluster != nil {
		out.UpdateCluster = a.UpdateCluster.DeepCopy()
	}
	if a.SetPodLabels != nil {
		out.SetPodLabels = &PodLabels{Pod: a.SetPodLabels.Pod, Labels: maps.Clone(a.SetPodLabels.Labels)}
	}
	if a.RemovePodLabels != nil {
		out.RemovePodLabels = &PodLabelKeys{Pod: a.RemovePodLabels.Pod, Keys: slices.Clone(a.RemovePodLabels.Keys)}
	}
	if a.SetNamespaceLabels != nil {
		out.SetNamespaceLabels = &NamespaceLabels{Namespace: a.SetNamespaceLabels.Namespace, Labels: maps.Clone(a.SetNamespaceLabels.Labels)}
	}
	if a.RemoveNamespaceLabels != nil {
		out.RemoveNamespaceLabels = &NamespaceKeys{Namespace: a.RemoveNamespaceLabels.Namespace, Keys: slices.Clone(a.RemoveNamespaceLabels.Keys)}
	}
	if a.CreatePod != nil {
		out.CreatePod = &CreatePod{Namespace: a.CreatePod.Namespace, PodSpec: clonePodSpec(a.CreatePod.PodSpec)}
	}
	if a.CreateNamespace != nil {
		ns := *a.CreateNamespace
		ns.Labels = maps.Clone(ns.Labels)
		ns.Pods = slices.Clone(ns.Pods)
		out.CreateNamespace = &ns
	}
	return out
}
