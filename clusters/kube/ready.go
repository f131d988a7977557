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
		seen, err := c.readNamespaces(ctx, pending)
		if err != nil {
			return false, err
		}
		next := pending[:0]
		for _, lp := range pending {
			ready, hopeless := seen.check(lp)
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

// namespaceState is what one poll read of the namespaces of pending pods.
type namespaceState struct {
	pods     map[[2]string]*corev1.Pod     // by namespace and name
	services map[[2]string]*corev1.Service // by namespace and name
	// endpoints are the ready addresses of each Service's EndpointSlices.
	endpoints map[[2]string]map[string]bool
}

// readNamespaces lists the pods, and with Services their Services and
// EndpointSlices, of each namespace that a pending pod is in: three calls a
// namespace per poll. One read per pod and poll (a Get each, and two more
// once it ran) made the four lanes' set-ups ask for more than the client's
// 50 calls a second, which held back every other call of the run.
func (c *Cluster) readNamespaces(ctx context.Context, pending []*livePod) (*namespaceState, error) {
	st := &namespaceState{pods: map[[2]string]*corev1.Pod{}, services: map[[2]string]*corev1.Service{}, endpoints: map[[2]string]map[string]bool{}}
	withService := map[string]bool{}
	var namespaces []string
	for _, lp := range pending {
		if _, ok := withService[lp.namespace]; !ok {
			namespaces = append(namespaces, lp.namespace)
			withService[lp.namespace] = false
		}
		withService[lp.namespace] = withService[lp.namespace] || lp.service != ""
	}
	for _, ns := range namespaces {
		pods, err := c.b.client.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{})
		if err != nil {
			return nil, fmt.Errorf("list pods of %s: %w", ns, err)
		}
		for i := range pods.Items {
			st.pods[[2]string{ns, pods.Items[i].Name}] = &pods.Items[i]
		}
		if !withService[ns] {
			continue
		}
		svcs, err := c.b.client.CoreV1().Services(ns).List(ctx, metav1.ListOptions{})
		if err != nil {
			return nil, fmt.Errorf("list services of %s: %w", ns, err)
		}
		for i := range svcs.Items {
			st.services[[2]string{ns, svcs.Items[i].Name}] = &svcs.Items[i]
		}
		slices, err := c.b.client.DiscoveryV1().EndpointSlices(ns).List(ctx, metav1.ListOptions{})
		if err != nil {
			return nil, fmt.Errorf("list endpoint slices of %s: %w", ns, err)
		}
		for _, s := range slices.Items {
			key := [2]string{ns, s.Labels[discoveryv1.LabelServiceName]}
			for _, e := range s.Endpoints {
				if e.Conditions.Ready != nil && !*e.Conditions.Ready {
					continue
				}
				for _, a := range e.Addresses {
					if st.endpoints[key] == nil {
						st.endpoints[key] = map[string]bool{}
					}
					st.endpoints[key][a] = true
				}
			}
		}
	}
	return st, nil
}

// check says whether the pod can be probed, and whether it never will, and
// records its addresses once it can. A pod that is not listed was deleted
// since it was created: it never will be.
func (st *namespaceState) check(lp *livePod) (ready, hopeless bool) {
	pod := st.pods[[2]string{lp.namespace, lp.name}]
	if pod == nil {
		return false, true
	}
	if podHopeless(pod) {
		return false, true
	}
	ip := podIPv4(pod)
	if !podReady(pod) || ip == "" {
		return false, false
	}
	lp.ip = ip
	lp.node = pod.Spec.NodeName
	if lp.service == "" {
		return true, false
	}
	svc := st.services[[2]string{lp.namespace, lp.service}]
	if svc == nil || svc.Spec.ClusterIP == "" || svc.Spec.ClusterIP == corev1.ClusterIPNone {
		return false, false
	}
	lp.serviceIP = svc.Spec.ClusterIP
	// Before an EndpointSlice lists it as ready, kube-proxy may not forward to it.
	return st.endpoints[[2]string{lp.namespace, lp.service}][lp.ip], false
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
