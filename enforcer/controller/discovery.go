package controller

import (
	"fmt"
	"slices"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/discovery"
)

// ClusterPolicyGroupVersion and ClusterPolicyResource are what a cluster
// serves once the network-policy-api CRD is installed, and what the
// controller watches with Options.PolicyAPI.
const (
	ClusterPolicyGroupVersion = "policy.networking.k8s.io/v1alpha2"
	ClusterPolicyResource     = "clusternetworkpolicies"
)

// ServesClusterPolicies tells whether the API server serves
// ClusterNetworkPolicy, and if not, says so in words a user can act on.
// Give Options.PolicyAPI only when it does: an informer of a resource that
// is not served waits for it forever.
func ServesClusterPolicies(d discovery.DiscoveryInterface) (bool, string, error) {
	list, err := d.ServerResourcesForGroupVersion(ClusterPolicyGroupVersion)
	served := err == nil && slices.ContainsFunc(list.APIResources, func(r metav1.APIResource) bool { return r.Name == ClusterPolicyResource })
	if apierrors.IsNotFound(err) || (err == nil && !served) {
		return false, "the cluster does not serve ClusterNetworkPolicy (" + ClusterPolicyGroupVersion + "): install the network-policy-api CRD (netpolcheck kind up does)", nil
	}
	if err != nil {
		return false, "", fmt.Errorf("discover %s: %w", ClusterPolicyGroupVersion, err)
	}
	return true, "", nil
}
