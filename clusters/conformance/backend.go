package conformance

import (
	"context"

	"github.com/netpolcheck/netpolcheck/clusters"
	"github.com/netpolcheck/netpolcheck/clusters/backends"
	"github.com/netpolcheck/netpolcheck/clusters/kube"
	"github.com/netpolcheck/netpolcheck/clusters/local"
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
		return backends.Kube(ctx, cfg, kube.Options{ProbeImage: f.ProbeImage, Targets: targets, Sessions: true}, nil)
	}
	return backends.Local(f.Enforcer, local.Options{Targets: targets})
}
