package kube

import (
	"context"
	"fmt"
	"slices"
	"strings"
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
	for _, ns := range w.Namespaces {
		if err := c.createNamespace(ctx, ns); err != nil {
			return nil, err
		}
	}
	if err := c.setupDNS(ctx, w); err != nil {
		return nil, err
	}
	created := make([]*livePod, 0, len(w.Pods))
	for _, p := range w.Pods {
		lp, err := c.createPod(ctx, p)
		if err != nil {
			return nil, err
		}
		created = append(created, lp)
	}
	if err := c.waitReady(ctx, created); err != nil {
		return nil, err
	}
	if err := c.waitServicesAnswer(ctx, created); err != nil {
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
	addrs := make([]string, len(hosts))
	for i, h := range hosts {
		addrs[i] = h.IP
	}
	release, err := c.b.addresses.acquire(ctx, addrs)
	if err != nil {
		return err
	}
	c.release = release
	hosts = hostsServing(hosts, c.sctp)
	// Recorded before Add, so that Teardown removes what a failed Add started.
	c.hosts = hosts
	if err := provider.Add(ctx, hosts); err != nil {
		return fmt.Errorf("add external hosts: %w", err)
	}
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
	c.namespaces[ns.Name] = created.UID
	c.b.own(real, created.UID)
	return nil
}

// createPod creates the probe pod of p, and its Service with TargetService.
func (c *Cluster) createPod(ctx context.Context, p scenarios.Pod) (*livePod, error) {
	ns := c.names.real(p.Namespace)
	lp := &livePod{id: p.ID(), namespace: ns, name: p.Name}
	err := c.retryServiceAccount(ctx, func() error {
		_, err := c.b.client.CoreV1().Pods(ns).Create(ctx, c.template.pod(ns, p), metav1.CreateOptions{})
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("create pod %s (%s/%s): %w", p.ID(), ns, p.Name, err)
	}
	c.pods[lp.id] = lp
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
