package conformance

import (
	"context"
	"fmt"

	"github.com/netpolcheck/netpolcheck/clusters"
	"github.com/netpolcheck/netpolcheck/clusters/kube"
	"github.com/netpolcheck/netpolcheck/clusters/local"
	"github.com/netpolcheck/netpolcheck/clusters/local/reference"
)

// newBackend picks the cluster the flags point at: a cluster by kubeconfig
// (enforcing with its own CNI), or the local cluster with --enforcer.
func newBackend(ctx context.Context, f Flags) (clusters.Backend, error) {
	targets, err := f.targets()
	if err != nil {
		return nil, err
	}
	if f.Kubeconfig != "" || f.Context != "" || envKubeconfig() != "" {
		cfg, err := kube.LoadConfig(f.Kubeconfig, f.Context)
		if err != nil {
			return nil, err
		}
		client, exec, err := kube.Connect(cfg)
		if err != nil {
			return nil, fmt.Errorf("connect to %s: %w", cfg.Host, err)
		}
		policyAPI, err := kube.ConnectPolicyAPI(cfg)
		if err != nil {
			return nil, err
		}
		return kube.New(ctx, client, exec, kube.Options{ProbeImage: f.ProbeImage, PolicyAPI: policyAPI, Targets: targets})
	}
	opts := local.Options{Targets: targets}
	switch f.Enforcer {
	case "reference":
		opts.Enforcer = reference.Factory(reference.Options{})
	case "none":
	default:
		return nil, fmt.Errorf("--enforcer %q: not one of reference, none", f.Enforcer)
	}
	return local.New(opts)
}
