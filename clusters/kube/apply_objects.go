package kube

import (
	"context"
	"fmt"
	"maps"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/util/retry"

	"github.com/netpolcheck/netpolcheck/clusters"
	"github.com/netpolcheck/netpolcheck/scenarios"
)

// labelPod gives the pod exactly the labels of p, keeping PodLabel, which
// its Service selects on.
func (c *Cluster) labelPod(ctx context.Context, p *scenarios.Pod) error {
	if err := checkLabels("pod "+p.ID(), p.Labels); err != nil {
		return err
	}
	lp, ok := c.pods[p.ID()]
	if !ok {
		return fmt.Errorf("label pod %s: no such pod in this cluster", p.ID())
	}
	pods := c.b.client.CoreV1().Pods(lp.namespace)
	err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
		pod, err := pods.Get(ctx, lp.name, metav1.GetOptions{})
		if err != nil {
			return err
		}
		labels := maps.Clone(p.Labels)
		if labels == nil {
			labels = map[string]string{}
		}
		if v, ok := pod.Labels[PodLabel]; ok {
			labels[PodLabel] = v
		}
		pod.Labels = labels
		_, err = pods.Update(ctx, pod, metav1.UpdateOptions{})
		return err
	})
	if err != nil {
		return fmt.Errorf("label pod %s (%s/%s): %w", p.ID(), lp.namespace, lp.name, err)
	}
	return nil
}

// labelNamespace gives the namespace exactly the scenario's labels, plus the
// name and ownership labels.
func (c *Cluster) labelNamespace(ctx context.Context, ns *scenarios.Namespace) error {
	if err := checkLabels("namespace "+ns.Name, ns.Labels); err != nil {
		return err
	}
	uid, ok := c.namespaces[ns.Name]
	if !ok {
		return fmt.Errorf("label namespace %s: no such namespace in this cluster", ns.Name)
	}
	labels := c.names.namespaceLabels(ns.Name, ns.Labels, c.b.runID)
	err := c.b.updateOwnedNamespace(ctx, c.names.real(ns.Name), uid, func(obj *corev1.Namespace) {
		obj.Labels = labels
	})
	if err != nil {
		return fmt.Errorf("label namespace %s: %w", ns.Name, err)
	}
	return nil
}

// addPod creates a pod and waits until it is ready.
func (c *Cluster) addPod(ctx context.Context, p scenarios.Pod) (clusters.Addresses, error) {
	if err := checkLabels("pod "+p.ID(), p.Labels); err != nil {
		return nil, err
	}
	if _, ok := c.namespaces[p.Namespace]; !ok {
		return nil, fmt.Errorf("add pod %s: no namespace %s in this cluster", p.ID(), p.Namespace)
	}
	lp, err := c.createPod(ctx, p, true)
	if err != nil {
		return nil, err
	}
	if err := c.waitReady(ctx, []*livePod{lp}); err != nil {
		return nil, err
	}
	if err := c.waitNewServiceAnswers(ctx, lp); err != nil {
		return nil, err
	}
	// Its name resolves from now on, as CoreDNS would learn it.
	if err := c.writeRecords(ctx); err != nil {
		return nil, err
	}
	return clusters.Addresses{lp.id: lp.ip}, nil
}

// removePod deletes a pod and its Service and waits until the pod is gone.
func (c *Cluster) removePod(ctx context.Context, id string) error {
	lp, ok := c.pods[id]
	if !ok {
		return fmt.Errorf("remove pod %s: no such pod in this cluster", id)
	}
	lp.closeSession(nil)
	pods := c.b.client.CoreV1().Pods(lp.namespace)
	if err := pods.Delete(ctx, lp.name, metav1.DeleteOptions{}); err != nil && !apierrors.IsNotFound(err) {
		return fmt.Errorf("remove pod %s (%s/%s): %w", id, lp.namespace, lp.name, err)
	}
	if lp.service != "" {
		err := c.b.client.CoreV1().Services(lp.namespace).Delete(ctx, lp.service, metav1.DeleteOptions{})
		if err != nil && !apierrors.IsNotFound(err) {
			return fmt.Errorf("remove service %s/%s of %s: %w", lp.namespace, lp.service, id, err)
		}
	}
	err := c.waitGone(ctx, func(ctx context.Context) error {
		_, err := pods.Get(ctx, lp.name, metav1.GetOptions{})
		return err
	})
	if err != nil {
		return fmt.Errorf("remove pod %s (%s/%s): %w", id, lp.namespace, lp.name, err)
	}
	delete(c.pods, id)
	return nil
}

// removeNamespace deletes a namespace with its pods and policies and waits
// until it is gone.
func (c *Cluster) removeNamespace(ctx context.Context, name string) error {
	uid, ok := c.namespaces[name]
	if !ok {
		return fmt.Errorf("remove namespace %s: no such namespace in this cluster", name)
	}
	real := c.names.real(name)
	if err := c.b.deleteOwnedNamespace(ctx, real, uid); err != nil && !apierrors.IsNotFound(err) {
		return fmt.Errorf("remove namespace %s: %w", name, err)
	}
	if err := c.waitNamespaceGone(ctx, real); err != nil {
		return fmt.Errorf("remove namespace %s: %w", name, err)
	}
	c.forgetNamespace(name, real)
	return nil
}

// forgetNamespace drops a deleted namespace and its pods.
func (c *Cluster) forgetNamespace(name, real string) {
	delete(c.namespaces, name)
	delete(c.terminating, real)
	c.b.disown(real)
	for id, lp := range c.pods {
		if lp.namespace == real {
			delete(c.pods, id)
		}
	}
}
