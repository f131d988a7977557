package kube

import (
	"context"
	"fmt"
	"net/netip"
	"time"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
)

// pollInterval is how often readiness and deletion are checked.
const pollInterval = 500 * time.Millisecond

// hopelessReasons are container waiting reasons that no amount of waiting
// cures; a pod showing one fails Setup at once instead of at the timeout.
var hopelessReasons = map[string]bool{
	"InvalidImageName":           true,
	"ErrImageNeverPull":          true,
	"CreateContainerConfigError": true,
	"CreateContainerError":       true,
	"CrashLoopBackOff":           true,
}

// waitReady waits until every pod is ready with an IP, and with TargetService
// until its Service has a ClusterIP and a ready endpoint for it. It fills in
// the addresses, and fails early when a pod cannot start.
func (c *Cluster) waitReady(ctx context.Context, pods []*livePod) error {
	pending := append([]*livePod(nil), pods...)
	var stuck []*livePod
	err := wait.PollUntilContextTimeout(ctx, pollInterval, c.b.opts.ReadyTimeout, true, func(ctx context.Context) (bool, error) {
		next := pending[:0]
		for _, lp := range pending {
			ready, hopeless, err := c.checkReady(ctx, lp)
			if err != nil {
				return false, err
			}
			if hopeless {
				stuck = append(stuck, lp)
			}
			if !ready {
				next = append(next, lp)
			}
		}
		pending = next
		return len(pending) == 0 || len(stuck) > 0, nil
	})
	switch {
	case len(stuck) > 0:
		return c.diagnose(ctx, "cannot start", stuck)
	case err == nil:
		return nil
	case ctx.Err() != nil:
		return fmt.Errorf("wait for probe pods: %w", ctx.Err())
	case wait.Interrupted(err):
		return c.diagnose(ctx, fmt.Sprintf("not ready after %s", c.b.opts.ReadyTimeout), pending)
	}
	return fmt.Errorf("wait for probe pods: %w", err)
}

// checkReady reads one pod (and its Service); it says whether the pod can
// be probed, and whether it never will.
func (c *Cluster) checkReady(ctx context.Context, lp *livePod) (ready, hopeless bool, err error) {
	pod, err := c.b.client.CoreV1().Pods(lp.namespace).Get(ctx, lp.name, metav1.GetOptions{})
	if err != nil {
		return false, false, fmt.Errorf("read pod %s/%s: %w", lp.namespace, lp.name, err)
	}
	if podHopeless(pod) {
		return false, true, nil
	}
	ip := podIPv4(pod)
	if !podReady(pod) || ip == "" {
		return false, false, nil
	}
	lp.ip = ip
	lp.node = pod.Spec.NodeName
	if lp.service == "" {
		return true, false, nil
	}
	svc, err := c.b.client.CoreV1().Services(lp.namespace).Get(ctx, lp.service, metav1.GetOptions{})
	if err != nil {
		return false, false, fmt.Errorf("read service %s/%s: %w", lp.namespace, lp.service, err)
	}
	if svc.Spec.ClusterIP == "" || svc.Spec.ClusterIP == corev1.ClusterIPNone {
		return false, false, nil
	}
	lp.serviceIP = svc.Spec.ClusterIP
	ok, err := c.endpointReady(ctx, lp)
	return ok, false, err
}

// endpointReady says whether an EndpointSlice of the pod's Service lists its
// IP as ready: before that, kube-proxy may not forward to it yet.
func (c *Cluster) endpointReady(ctx context.Context, lp *livePod) (bool, error) {
	list, err := c.b.client.DiscoveryV1().EndpointSlices(lp.namespace).List(ctx, metav1.ListOptions{
		LabelSelector: discoveryv1.LabelServiceName + "=" + lp.service,
	})
	if err != nil {
		return false, fmt.Errorf("list endpoint slices of %s/%s: %w", lp.namespace, lp.service, err)
	}
	for _, s := range list.Items {
		for _, e := range s.Endpoints {
			if e.Conditions.Ready != nil && !*e.Conditions.Ready {
				continue
			}
			for _, a := range e.Addresses {
				if a == lp.ip {
					return true, nil
				}
			}
		}
	}
	return false, nil
}

func podReady(pod *corev1.Pod) bool {
	for _, c := range pod.Status.Conditions {
		if c.Type == corev1.PodReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}

// podIPv4 prefers the pod's IPv4 address: the scenarios' ipBlocks and
// external hosts are IPv4. A single-stack IPv6 pod gives its one address.
func podIPv4(pod *corev1.Pod) string {
	for _, ip := range pod.Status.PodIPs {
		if a, err := netip.ParseAddr(ip.IP); err == nil && a.Is4() {
			return a.String()
		}
	}
	return pod.Status.PodIP
}

func podHopeless(pod *corev1.Pod) bool {
	if pod.Status.Phase == corev1.PodFailed || pod.Status.Phase == corev1.PodSucceeded {
		return true
	}
	for _, cs := range pod.Status.ContainerStatuses {
		if cs.State.Waiting != nil && hopelessReasons[cs.State.Waiting.Reason] {
			return true
		}
	}
	return false
}
