package reference

import (
	"maps"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	npav1alpha2 "sigs.k8s.io/network-policy-api/apis/v1alpha2"

	"github.com/netpolcheck/netpolcheck/scenarios"
)

// namespaceObject is a model namespace as the API server holds it; the
// model's labels already include kubernetes.io/metadata.name.
func namespaceObject(ns scenarios.Namespace) *corev1.Namespace {
	return &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns.Name, Labels: maps.Clone(ns.Labels)}}
}

// podObject is a model pod as a running pod on node: one container serving
// the pod's ports under their names, so that named ports resolve.
func podObject(p scenarios.Pod, node string) *corev1.Pod {
	ports := make([]corev1.ContainerPort, 0, len(p.Ports))
	for _, port := range p.Ports {
		ports = append(ports, corev1.ContainerPort{Name: port.Name, ContainerPort: port.Port, Protocol: corev1.Protocol(port.Protocol)})
	}
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Namespace: p.Namespace, Name: p.Name, Labels: maps.Clone(p.Labels)},
		Spec: corev1.PodSpec{
			NodeName:   node,
			Containers: []corev1.Container{{Name: "probe", Ports: ports}},
		},
		Status: corev1.PodStatus{
			Phase:  corev1.PodRunning,
			PodIP:  p.IP,
			PodIPs: []corev1.PodIP{{IP: p.IP}},
		},
	}
}

// policyObject is a copy of a policy fit to write: without the server-set
// fields a scenario file may carry.
func policyObject(p *networkingv1.NetworkPolicy) *networkingv1.NetworkPolicy {
	out := p.DeepCopy()
	out.ResourceVersion, out.UID, out.Generation = "", "", 0
	out.ManagedFields = nil
	return out
}

// clusterPolicyObject is a cluster policy in its tiered form, fit to
// write as a ClusterNetworkPolicy. AdminNetworkPolicies and
// BaselineAdminNetworkPolicies, which the enforcer sees in that form too,
// get their kind in the name, so that one of each kind may share a name.
func clusterPolicyObject(p *npav1alpha2.ClusterNetworkPolicy) *npav1alpha2.ClusterNetworkPolicy {
	out := p.DeepCopy()
	out.Name = mirroredName(scenarios.TieredKind(p), p.Name)
	out.TypeMeta = metav1.TypeMeta{}
	out.ResourceVersion, out.UID, out.Generation = "", "", 0
	out.ManagedFields = nil
	return out
}

// mirroredName is the name a cluster policy of kind is written under.
func mirroredName(kind, name string) string {
	switch kind {
	case scenarios.AdminNetworkPolicyKind:
		return "anp." + name
	case scenarios.BaselineAdminNetworkPolicyKind:
		return "banp." + name
	}
	return name
}
