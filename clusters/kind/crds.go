package kind

import (
	"context"
	"embed"
	"fmt"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/dynamic"
	"sigs.k8s.io/yaml"

	"github.com/netpolcheck/netpolcheck/clusters/kind/knp"
	"github.com/netpolcheck/netpolcheck/enforcer/controller"
)

// The ClusterNetworkPolicy CRD of each network-policy-api release channel,
// copied unchanged from the pinned module (sigs.k8s.io/network-policy-api
// v0.3.0, config/crd/<channel>/); a test holds them equal to the module's.
// Nothing is fetched from the network.
//
//go:embed crds/standard/policy.networking.k8s.io_clusternetworkpolicies.yaml crds/experimental/policy.networking.k8s.io_clusternetworkpolicies.yaml
var crdFiles embed.FS

// The network-policy-api release channels: standard has the fields every
// implementation must support, experimental adds nodes and domainNames
// peers and named ports.
const (
	ChannelStandard     = "standard"
	ChannelExperimental = "experimental"
)

// crdTimeout bounds waiting for the API server to serve the CRD, which
// takes a second or two.
const crdTimeout = time.Minute

var crdResource = schema.GroupVersionResource{Group: "apiextensions.k8s.io", Version: "v1", Resource: "customresourcedefinitions"}

// clusterPolicyCRD is the CRD of a channel.
func clusterPolicyCRD(channel string) (*unstructured.Unstructured, error) {
	if channel != ChannelStandard && channel != ChannelExperimental {
		return nil, fmt.Errorf("network-policy-api channel %q: not one of %s, %s", channel, ChannelStandard, ChannelExperimental)
	}
	raw, err := crdFiles.ReadFile("crds/" + channel + "/policy.networking.k8s.io_clusternetworkpolicies.yaml")
	if err != nil {
		return nil, err
	}
	obj := &unstructured.Unstructured{}
	if err := yaml.Unmarshal(raw, &obj.Object); err != nil {
		return nil, fmt.Errorf("read the %s ClusterNetworkPolicy CRD: %w", channel, err)
	}
	return obj, nil
}

// InstallClusterPolicyCRD installs the ClusterNetworkPolicy CRD of the
// channel (replacing another channel's) and waits until the API server
// serves it, so that an enforcer deployed after it watches it.
func (c *Cluster) InstallClusterPolicyCRD(ctx context.Context, channel string) error {
	crd, err := clusterPolicyCRD(channel)
	if err != nil {
		return err
	}
	what := "the " + channel + " ClusterNetworkPolicy CRD"
	if err := c.installCRDs(ctx, what, []*unstructured.Unstructured{crd}, controller.ServesClusterPolicies); err != nil {
		return err
	}
	fmt.Fprintf(c.opts.Log, "kind cluster %s: ClusterNetworkPolicy CRD (network-policy-api v0.3.0, %s channel) served\n", c.name, channel)
	return nil
}

// InstallAdminPolicyCRDs installs the v1alpha1 AdminNetworkPolicy and
// BaselineAdminNetworkPolicy CRDs of set and waits until they are served.
func (c *Cluster) InstallAdminPolicyCRDs(ctx context.Context, set knp.CRDSet, channel string) error {
	var crds []*unstructured.Unstructured
	for _, f := range set.Files {
		obj := &unstructured.Unstructured{}
		if err := yaml.Unmarshal(f.Data, &obj.Object); err != nil {
			return fmt.Errorf("kind cluster %s: read %s: %w", c.name, f.Path, err)
		}
		if obj.GetKind() != "CustomResourceDefinition" {
			return fmt.Errorf("kind cluster %s: %s holds a %s, not a CustomResourceDefinition", c.name, f.Path, obj.GetKind())
		}
		crds = append(crds, obj)
	}
	what := "the " + channel + " AdminNetworkPolicy and BaselineAdminNetworkPolicy CRDs"
	if err := c.installCRDs(ctx, what, crds, controller.ServesAdminPolicies); err != nil {
		return err
	}
	fmt.Fprintf(c.opts.Log, "kind cluster %s: AdminNetworkPolicy and BaselineAdminNetworkPolicy CRDs (network-policy-api %s, %s channel) served\n", c.name, set.Version, channel)
	return nil
}

// installCRDs creates or replaces each CRD, then waits until served says
// the API server serves them.
func (c *Cluster) installCRDs(ctx context.Context, what string, crds []*unstructured.Unstructured, served func(discovery.DiscoveryInterface) (bool, string, error)) error {
	client, err := dynamic.NewForConfig(c.RESTConfig())
	if err != nil {
		return fmt.Errorf("kind cluster %s: install CRD: %w", c.name, err)
	}
	resource := client.Resource(crdResource)
	for _, crd := range crds {
		_, err = resource.Create(ctx, crd, metav1.CreateOptions{})
		if apierrors.IsAlreadyExists(err) {
			var have *unstructured.Unstructured
			if have, err = resource.Get(ctx, crd.GetName(), metav1.GetOptions{}); err == nil {
				crd.SetResourceVersion(have.GetResourceVersion())
				_, err = resource.Update(ctx, crd, metav1.UpdateOptions{})
			}
		}
		if err != nil {
			return fmt.Errorf("kind cluster %s: install %s (%s): %w", c.name, what, crd.GetName(), err)
		}
	}
	var reason string
	err = wait.PollUntilContextTimeout(ctx, 200*time.Millisecond, crdTimeout, true, func(context.Context) (bool, error) {
		ok, why, err := served(c.client.Discovery())
		reason = why
		return ok, err
	})
	if err != nil {
		return fmt.Errorf("kind cluster %s: %s installed but not served after %v: %s: %w", c.name, what, crdTimeout, reason, err)
	}
	return nil
}
