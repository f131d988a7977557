package kube

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/netpolcheck/netpolcheck/clusters"
	"github.com/netpolcheck/netpolcheck/scenarios"
)

// Setup creates the world's namespaces and probe pods (and external hosts
// through the provider), waits until every pod is ready, and returns the pod
// IPs by scenario identity. What it created before failing is removed by Teardown.
func (c *Cluster) Setup(ctx context.Context, w *scenarios.World) (clusters.Addresses, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.usable(); err != nil {
		return nil, err
	}
	if err := checkWorld(w); err != nil {
		return nil, err
	}
	if err := c.addExternalHosts(ctx, w.ExternalHosts); err != nil {
		return nil, err
	}
	if err := inParallel(ctx, c.b.opts.SetupConcurrency, len(w.Namespaces), func(ctx context.Context, i int) error {
		return c.createNamespace(ctx, w.Namespaces[i])
	}); err != nil {
		return nil, err
	}
	if err := c.setupDNS(ctx, w); err != nil {
		return nil, err
	}
	created := make([]*livePod, len(w.Pods))
	if err := inParallel(ctx, c.b.opts.SetupConcurrency, len(w.Pods), func(ctx context.Context, i int) (err error) {
		created[i], err = c.createPod(ctx, w.Pods[i], false)
		return err
	}); err != nil {
		return nil, err
	}
	if err := c.waitReady(ctx, created); err != nil {
		return nil, err
	}
	if err := c.waitAnswers(ctx, created); err != nil {
		return nil, err
	}
	if err := c.writeRecords(ctx); err != nil {
		return nil, err
	}
	addrs := clusters.Addresses{}
	for _, lp := range created {
		addrs[lp.id] = lp.ip
	}
	return addrs, nil
}

// inParallel runs do for 0..n-1, at most limit at once (a model's
// namespaces are independent of each other, and so are its pods), and
// returns the first error by index, so that a failure reads the same on
// every run. The others stop at their next API call (ctx is cancelled).
func inParallel(ctx context.Context, limit, n int, do func(ctx context.Context, i int) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	errs := make([]error, n)
	sem := make(chan struct{}, limit)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			if errs[i] = do(ctx, i); errs[i] != nil {
				cancel()
			}
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil && !errors.Is(err, context.Canceled) {
			return err
		}
	}
	return errors.Join(errs...)
}

// checkWorld refuses labels under netpolcheck.io/ before anything is created.
func checkWorld(w *scenarios.World) error {
	for _, ns := range w.Namespaces {
		if err := checkLabels("namespace "+ns.Name, ns.Labels); err != nil {
			return err
		}
	}
	for _, p := range w.Pods {
		if err := checkLabels("pod "+p.ID(), p.Labels); err != nil {
			return err
		}
	}
	return nil
}

// addExternalHosts starts the world's external hosts through the provider,
// once no other live cluster holds their addresses. Without a provider the
// hosts are static or absent, and nothing is started.
func (c *Cluster) addExternalHosts(ctx context.Context, hosts []scenarios.ExternalHost) error {
	provider := c.b.opts.ExternalHosts
	if provider == nil || len(hosts) == 0 {
		return nil
	}
	if placer, ok := provider.(ExternalPlacer); ok {
		var placed []scenarios.ExternalHost
		for _, h := range hosts {
			if why := placer.Unplaceable(h); why != "" {
				if c.unplaced == nil {
					c.unplaced = map[string]string{}
				}
				c.unplaced[h.Name] = fmt.Sprintf("external host %s: %s: this cluster cannot emulate it", h.Name, why)
				continue
			}
			placed = append(placed, h)
		}
		if hosts = placed; len(hosts) == 0 {
			return nil
		}
	}
	if _, shared := provider.(SharedExternalHosts); !shared {
		addrs := make([]string, len(hosts))
		for i, h := range hosts {
			addrs[i] = h.IP
		}
		release, err := c.b.addresses.acquire(ctx, addrs)
		if err != nil {
			return err
		}
		c.release = release
	}
	hosts = hostsServing(hosts, c.sctp)
	if err := provider.Add(ctx, hosts); err != nil {
		return fmt.Errorf("add external hosts: %w", err)
	}
	// Recorded once added: Remove ends one Add of each, which a shared
	// provider counts.
	c.hosts = hosts
	return nil
}

// createNamespace creates the real namespace of a scenario namespace. A
// namespace of that name that exists already is never adopted.
func (c *Cluster) createNamespace(ctx context.Context, ns scenarios.Namespace) error {
	if err := checkLabels("namespace "+ns.Name, ns.Labels); err != nil {
		return err
	}
	real := c.names.real(ns.Name)
	obj := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{
		Name:   real,
		Labels: c.names.namespaceLabels(ns.Name, ns.Labels, c.b.runID),
		Annotations: map[string]string{
			ScenarioAnnotation:  c.scenario,
			NamespaceAnnotation: ns.Name,
			ExpiresAnnotation:   c.b.expiry(),
		},
	}}
	created, err := c.b.client.CoreV1().Namespaces().Create(ctx, obj, metav1.CreateOptions{})
	if apierrors.IsAlreadyExists(err) {
		return fmt.Errorf("create namespace %s for %s: it exists already and is not this cluster's", real, ns.Name)
	}
	if err != nil {
		return fmt.Errorf("create namespace %s for %s: %w", real, ns.Name, err)
	}
	c.created.Lock()
	c.namespaces[ns.Name] = created.UID
	c.created.Unlock()
	c.b.own(real, created.UID)
	c.createServiceAccount(ctx, real)
	return nil
}

// createServiceAccount makes the namespace's default service account, which
// the API server wants before it admits a pod there. Its controller makes
// it too, but on a loaded cluster seconds later: pods then wait for it
// (retryServiceAccount). Whoever is first, the account is the same, and an
// identity that may not create one still gets the controller's.
func (c *Cluster) createServiceAccount(ctx context.Context, namespace string) {
	sa := &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "default", Namespace: namespace}}
	_, _ = c.b.client.CoreV1().ServiceAccounts(namespace).Create(ctx, sa, metav1.CreateOptions{})
}

// createPod creates the probe pod of p, and its Service with TargetService.
// A pod that Setup makes, before any policy is in force, goes without the
// startup probe: waitAnswers dials it instead, one exec for all pods of a
// node where the kubelet would run one per pod and second (the costliest
// part of a set-up on a loaded kind host, after the sandboxes). A pod that
// a step adds may already be isolated, so its own probe says when it serves.
func (c *Cluster) createPod(ctx context.Context, p scenarios.Pod, startupProbe bool) (*livePod, error) {
	ns := c.names.real(p.Namespace)
	lp := &livePod{id: p.ID(), namespace: ns, name: p.Name, serves: firstServed(p.Ports, c.sctp)}
	pod := c.template.pod(ns, p)
	if !startupProbe {
		pod.Spec.Containers[0].StartupProbe = nil
	}
	err := c.retryServiceAccount(ctx, func() error {
		_, err := c.b.client.CoreV1().Pods(ns).Create(ctx, pod, metav1.CreateOptions{})
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("create pod %s (%s/%s): %w", p.ID(), ns, p.Name, err)
	}
	c.created.Lock()
	c.pods[lp.id] = lp
	c.created.Unlock()
	if !c.template.service {
		return lp, nil
	}
	svc := probeService(ns, p, c.sctp)
	if svc == nil {
		return lp, nil
	}
	// The cluster DNS pod's Service exists already (setupDNS).
	if p.ID() != c.template.dnsPod {
		if _, err := c.b.client.CoreV1().Services(ns).Create(ctx, svc, metav1.CreateOptions{}); err != nil {
			return nil, fmt.Errorf("create service %s/%s for %s: %w", ns, svc.Name, p.ID(), err)
		}
	}
	lp.service = svc.Name
	lp.answer = answerPort(svc)
	return lp, nil
}

// answerPort picks the port of the Service that the forwarding check dials:
// TCP, whose refusal and answer are plain, else the first.
func answerPort(svc *corev1.Service) *scenarios.Port {
	pick := svc.Spec.Ports[0]
	for _, p := range svc.Spec.Ports {
		if p.Protocol == corev1.ProtocolTCP {
			pick = p
			break
		}
	}
	return &scenarios.Port{Port: pick.Port, Protocol: scenarios.Protocol(pick.Protocol)}
}

// retryServiceAccount retries create while the namespace's default service
// account does not exist yet: the API server refuses pods until its
// controller has made one, which takes a moment after the namespace appears.
func (c *Cluster) retryServiceAccount(ctx context.Context, create func() error) error {
	deadline := time.Now().Add(c.b.opts.ReadyTimeout)
	for {
		err := create()
		if err == nil || !apierrors.IsForbidden(err) || !mentionsServiceAccount(err) || time.Now().After(deadline) {
			return err
		}
		if err := sleep(ctx, 250*time.Millisecond); err != nil {
			return err
		}
	}
}

func mentionsServiceAccount(err error) bool {
	msg := strings.ToLower(err.Error())
	return strings.Contains(msg, "service account") || strings.Contains(msg, "serviceaccount")
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// hostsServing gives each external host the ports the cluster can carry, as
// servedPorts does for pods: without SCTP its SCTP ports are not served
// (their cells are skipped), since a server on a kernel without SCTP cannot
// start at all. A host left with none serves idlePort, so that it still runs
// as a probe source.
func hostsServing(hosts []scenarios.ExternalHost, sctp bool) []scenarios.ExternalHost {
	out := make([]scenarios.ExternalHost, len(hosts))
	for i, h := range hosts {
		h.Ports = slices.DeleteFunc(slices.Clone(h.Ports), func(p scenarios.Port) bool {
			return p.Protocol == scenarios.SCTP && !sctp
		})
		if len(h.Ports) == 0 {
			h.Ports = []scenarios.Port{{Port: 65535, Protocol: scenarios.TCP}}
		}
		out[i] = h
	}
	return out
}
