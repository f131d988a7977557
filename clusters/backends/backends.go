package backends

import (
	"context"
	"fmt"

	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/netpolcheck/netpolcheck/clusters"
	"github.com/netpolcheck/netpolcheck/clusters/kube"
	"github.com/netpolcheck/netpolcheck/clusters/local"
	"github.com/netpolcheck/netpolcheck/clusters/local/reference"
)

// The local cluster's enforcers (--enforcer).
const (
	EnforcerReference = "reference"
	EnforcerNone      = "none"
)

// CheckEnforcer accepts the local cluster's enforcers.
func CheckEnforcer(enforcer string) error {
	if enforcer != EnforcerReference && enforcer != EnforcerNone {
		return fmt.Errorf("--enforcer %q: not one of %s, %s", enforcer, EnforcerReference, EnforcerNone)
	}
	return nil
}

// Local is the local cluster with the named enforcer (reference or none)
// and opts. opts.Enforcer must be unset: the name chooses it.
func Local(enforcer string, opts local.Options) (*local.Backend, error) {
	if err := CheckEnforcer(enforcer); err != nil {
		return nil, err
	}
	if enforcer == EnforcerReference {
		opts.Enforcer = reference.Factory(reference.Options{})
	}
	b, err := local.New(opts)
	if err != nil {
		return nil, fmt.Errorf("local cluster: %w", err)
	}
	return b, nil
}

// Kube is the cluster cfg reaches, with opts. adjust, when given, sees the
// cluster's client and may complete opts before the backend is made (run
// and certify recognise a kind cluster netpolcheck made there).
func Kube(ctx context.Context, cfg *rest.Config, opts kube.Options, adjust func(kubernetes.Interface, *kube.Options) error) (*kube.Backend, error) {
	client, exec, err := kube.Connect(cfg)
	if err != nil {
		return nil, fmt.Errorf("connect to %s: %w", cfg.Host, err)
	}
	if opts.PolicyAPI, err = kube.ConnectPolicyAPI(cfg); err != nil {
		return nil, err
	}
	if adjust != nil {
		if err := adjust(client, &opts); err != nil {
			return nil, err
		}
	}
	b, err := kube.New(ctx, client, exec, opts)
	if err != nil {
		return nil, fmt.Errorf("kube cluster at %s: %w", cfg.Host, err)
	}
	return b, nil
}

// compile-time checks that both are backends.
var (
	_ clusters.Backend = (*local.Backend)(nil)
	_ clusters.Backend = (*kube.Backend)(nil)
)
