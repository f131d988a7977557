package controller

import (
	"fmt"
	"slices"
	"strings"

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

// The v1alpha1 kinds, which network-policy-api v0.1.x installs.
const (
	AdminPolicyGroupVersion   = "policy.networking.k8s.io/v1alpha1"
	AdminPolicyResource       = "adminnetworkpolicies"
	BaselinePolicyResource    = "baselineadminnetworkpolicies"
	adminPolicyCRDInstruction = "install the network-policy-api v0.1.x CRDs (netpolcheck kind up --cni kube-network-policies --knp-manifest install-anp does)"
)

// ServesClusterPolicies tells whether the API server serves
// ClusterNetworkPolicy, and if not, says so in words a user can act on.
// Give Options.PolicyAPI only when it does: an informer of a resource that
// is not served waits for it forever.
func ServesClusterPolicies(d discovery.DiscoveryInterface) (bool, string, error) {
	return serves(d, ClusterPolicyGroupVersion, "ClusterNetworkPolicy", "install the network-policy-api CRD (netpolcheck kind up does)", ClusterPolicyResource)
}

// ServesAdminPolicies tells whether the API server serves both
// AdminNetworkPolicy and BaselineAdminNetworkPolicy (v1alpha1), and if
// not, says so.
func ServesAdminPolicies(d discovery.DiscoveryInterface) (bool, string, error) {
	return serves(d, AdminPolicyGroupVersion, "AdminNetworkPolicy and BaselineAdminNetworkPolicy", adminPolicyCRDInstruction, AdminPolicyResource, BaselinePolicyResource)
}

func serves(d discovery.DiscoveryInterface, groupVersion, kinds, instruction string, resources ...string) (bool, string, error) {
	list, err := d.ServerResourcesForGroupVersion(groupVersion)
	var missing []string
	if err == nil {
		for _, r := range resources {
			if !slices.ContainsFunc(list.APIResources, func(a metav1.APIResource) bool { return a.Name == r }) {
				missing = append(missing, r)
			}
		}
	}
	if apierrors.IsNotFound(err) || len(missing) > 0 {
		return false, "the cluster does not serve " + kinds + " (" + groupVersion + notServed(missing, len(resources)) + "): " + instruction, nil
	}
	if err != nil {
		return false, "", fmt.Errorf("discover %s: %w", groupVersion, err)
	}
	return true, "", nil
}

// notServed names the resources missing when some of several are.
func notServed(missing []string, of int) string {
	if len(missing) == 0 || len(missing) == of {
		return ""
	}
	return "; no " + strings.Join(missing, ", ")
}
