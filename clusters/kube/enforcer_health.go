package kube

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/netpolcheck/netpolcheck/clusters"
	"github.com/netpolcheck/netpolcheck/enforcer/manifests"
)

var _ clusters.HealthChecker = (*Cluster)(nil)

// CheckEnforcer asks every pod of netpolcheck's reference enforcer, on a
// cluster that runs it (kind up), for its /readyz through the API server's
// pod proxy, so that an enforcer whose hook programs were detached, or whose
// pod is gone, is named before a step is probed. A cluster without that
// enforcer (a third-party CNI under certify) has nothing to check here.
//
// It asks once and never waits: /readyz speaks of the enforcer's own hooks,
// which do not lag behind new pods (docs/design.md), so a not-ready answer
// is a real hole. (Checks that waited for an enforcer attaching per-device
// programs to catch up ate the steps' convergence time under load.)
func (c *Cluster) CheckEnforcer(ctx context.Context) error {
	return c.checkEnforcerOnce(ctx)
}

func (c *Cluster) checkEnforcerOnce(ctx context.Context) error {
	client := c.b.client
	pods, err := client.CoreV1().Pods(manifests.Namespace).List(ctx, metav1.ListOptions{LabelSelector: manifests.PodSelector})
	if apierrors.IsForbidden(err) {
		// A user who may not read kube-system certifies their own CNI:
		// there is no reference enforcer of ours to check.
		return nil
	}
	if err != nil {
		return fmt.Errorf("list the reference enforcer's pods: %w", err)
	}
	var problems []string
	for _, p := range pods.Items {
		if p.DeletionTimestamp != nil {
			continue // replaced by a rollout; its successor is listed too
		}
		body, err := client.CoreV1().Pods(p.Namespace).ProxyGet("http", p.Name, strconv.Itoa(manifests.Port), "/readyz", nil).DoRaw(ctx)
		if apierrors.IsForbidden(err) {
			return nil
		}
		if err != nil {
			text := strings.TrimSpace(string(body))
			if text == "" {
				text = err.Error()
			}
			problems = append(problems, fmt.Sprintf("%s on node %s: %s", p.Name, p.Spec.NodeName, text))
		}
	}
	if len(problems) > 0 {
		return fmt.Errorf("reference enforcer not ready: %s", strings.Join(problems, "; "))
	}
	return nil
}
