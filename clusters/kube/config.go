package kube

import (
	"fmt"

	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
)

// Client QPS and burst: client-go's defaults (5 and 10) would throttle
// parallel scenarios polling their pods.
const (
	clientQPS   = 50
	clientBurst = 100
)

// LoadConfig reads the client configuration as kubectl does: the file
// kubeconfig when given, else the files of $KUBECONFIG, else ~/.kube/config;
// context, when given, overrides the current context.
func LoadConfig(kubeconfig, context string) (*rest.Config, error) {
	rules := clientcmd.NewDefaultClientConfigLoadingRules()
	rules.ExplicitPath = kubeconfig
	overrides := &clientcmd.ConfigOverrides{CurrentContext: context}
	cfg, err := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(rules, overrides).ClientConfig()
	if err != nil {
		return nil, fmt.Errorf("load kubeconfig: %w", err)
	}
	return cfg, nil
}

// Connect makes the clientset and the executor the backend needs for cfg.
func Connect(cfg *rest.Config) (kubernetes.Interface, Executor, error) {
	cfg = withRateLimits(cfg)
	client, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return nil, nil, fmt.Errorf("kubernetes client: %w", err)
	}
	return client, NewExecutor(cfg, client), nil
}

// withRateLimits is a copy of cfg with the backend's client rate limits
// where it sets none.
func withRateLimits(cfg *rest.Config) *rest.Config {
	cfg = rest.CopyConfig(cfg)
	if cfg.QPS == 0 {
		cfg.QPS = clientQPS
	}
	if cfg.Burst == 0 {
		cfg.Burst = clientBurst
	}
	return cfg
}
