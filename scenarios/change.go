package scenarios

import (
	networkingv1 "k8s.io/api/networking/v1"
	npav1alpha2 "sigs.k8s.io/network-policy-api/apis/v1alpha2"
)

// ChangeKind says what a Change does to a cluster.
type ChangeKind string

// The kinds of Change, one per Action field.
const (
	ApplyPolicy  ChangeKind = "applyPolicy"  // create or replace Policy
	DeletePolicy ChangeKind = "deletePolicy" // delete PolicyKey

	ApplyClusterPolicy  ChangeKind = "applyClusterPolicy"  // create or replace ClusterPolicy
	DeleteClusterPolicy ChangeKind = "deleteClusterPolicy" // delete PolicyKey ("ClusterNetworkPolicy/name")
	LabelPod            ChangeKind = "labelPod"            // Pod carries its complete new label set
	LabelNamespace      ChangeKind = "labelNamespace"
	AddPod              ChangeKind = "addPod" // Pod is complete: ports merged, planned IP set
	RemovePod           ChangeKind = "removePod"
	AddNamespace        ChangeKind = "addNamespace"
	RemoveNamespace     ChangeKind = "removeNamespace" // also removes its pods and policies
)

// Change is an Action resolved against the current World: placeholders
// expanded, references checked, labels complete. It is what cluster backends
// apply, so that every backend and the oracle see exactly the same objects.
type Change struct {
	Kind ChangeKind `json:"kind"`
	// Policy is set for ApplyPolicy (an update is an apply of an existing name).
	Policy *networkingv1.NetworkPolicy `json:"policy,omitempty"`
	// ClusterPolicy is set for ApplyClusterPolicy: the policy as its tier
	// sees it, in ClusterNetworkPolicy form (its kind names the object it
	// came from); ClusterPolicyObject is the object itself, for backends.
	ClusterPolicy       *npav1alpha2.ClusterNetworkPolicy `json:"clusterPolicy,omitempty"`
	ClusterPolicyObject *ClusterPolicy                    `json:"clusterPolicyObject,omitempty"`
	// PolicyKey is "ns/name" for DeletePolicy and "Kind/name" for
	// DeleteClusterPolicy.
	PolicyKey string `json:"policyKey,omitempty"`
	// Pod is set for LabelPod, AddPod and RemovePod.
	Pod *Pod `json:"pod,omitempty"`
	// Namespace is set for LabelNamespace, AddNamespace and RemoveNamespace.
	Namespace *Namespace `json:"namespace,omitempty"`
}
