package kube

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

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
// Only an answer that the enforcer's programs are not attached fails the
// check at once: that is the hole it looks for, and /readyz speaks only of
// the enforcer's own hooks, which do not lag behind new pods
// (docs/design.md). An enforcer pod that does not answer (restarting: its
// pinned programs go on enforcing meanwhile) or is still starting is asked
// again, up to readyzAttempts times readyzPause apart, and fails the check
// only if it never comes back. Checks that waited for an enforcer attaching
// per-device programs to catch up ate the steps' convergence time under
// load; this waits only while an enforcer restarts.
func (c *Cluster) CheckEnforcer(ctx context.Context) error {
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
		body, err := readyz(ctx, client, p.Namespace, p.Name)
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

// readyzAttempts and readyzPause pace asking a pod again: 30 s in all, as
// long as a loaded node takes to restart the enforcer.
var (
	readyzAttempts = 15
	readyzPause    = 2 * time.Second
)

// detached is what /readyz says of programs no longer attached.
const detached = "programs not attached"

// readyz reads one enforcer pod's /readyz until it is ready or says its
// programs are detached, or the attempts run out.
func readyz(ctx context.Context, client kubernetes.Interface, namespace, name string) ([]byte, error) {
	var (
		body []byte
		err  error
	)
	for attempt := 1; attempt <= readyzAttempts; attempt++ {
		body, err = client.CoreV1().Pods(namespace).ProxyGet("http", name, strconv.Itoa(manifests.Port), "/readyz", nil).DoRaw(ctx)
		if err == nil || apierrors.IsForbidden(err) || strings.Contains(string(body), detached) || attempt == readyzAttempts {
			break
		}
		select {
		case <-ctx.Done():
			return body, err
		case <-time.After(readyzPause):
		}
	}
	return body, err
}
