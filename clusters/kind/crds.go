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
	"k8s.io/client-go/dynamic"
	"sigs.k8s.io/yaml"

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
	client, err := dynamic.NewForConfig(c.RESTConfig())
	if err != nil {
		return fmt.Errorf("kind cluster %s: install CRD: %w", c.name, err)
	}
	crds := client.Resource(crdResource)
	_, err = crds.Create(ctx, crd, metav1.CreateOptions{})
	if apierrors.IsAlreadyExists(err) {
		var have *unstructured.Unstructured
		if have, err = crds.Get(ctx, crd.GetName(), metav1.GetOptions{}); err == nil {
			crd.SetResourceVersion(have.GetResourceVersion())
			_, err = crds.Update(ctx, crd, metav1.UpdateOptions{})
		}
	}
	if err != nil {
		return fmt.Errorf("kind cluster %s: install the %s ClusterNetworkPolicy CRD: %w", c.name, channel, err)
	}
	var reason string
	err = wait.PollUntilContextTimeout(ctx, 200*time.Millisecond, crdTimeout, true, func(context.Context) (bool, error) {
		served, why, err := controller.ServesClusterPolicies(c.client.Discovery())
		reason = why
		return served, err
	})
	if err != nil {
		return fmt.Errorf("kind cluster %s: ClusterNetworkPolicy CRD installed but not served after %v: %s: %w", c.name, crdTimeout, reason, err)
	}
	fmt.Fprintf(c.opts.Log, "kind cluster %s: ClusterNetworkPolicy CRD (network-policy-api v0.3.0, %s channel) served\n", c.name, channel)
	return nil
}
