package kube

import (
	"context"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/util/retry"
)

// checkOwned refuses a namespace that does not carry the run's label, or that
// is not the very namespace the run created (uid, when known): a namespace
// deleted and re-created by someone else under the same name is not ours.
func checkOwned(ns *corev1.Namespace, run string, uid types.UID) error {
	if got, ok := ns.Labels[RunLabel]; !ok || got != run {
		return fmt.Errorf("namespace %s does not carry %s=%s; it is not this run's and is left alone", ns.Name, RunLabel, run)
	}
	if uid != "" && ns.UID != uid {
		return fmt.Errorf("namespace %s has UID %s, not the %s this run created; it is left alone", ns.Name, ns.UID, uid)
	}
	return nil
}

// updateOwnedNamespace changes a namespace of this run, re-reading it on conflicts.
func (b *Backend) updateOwnedNamespace(ctx context.Context, name string, uid types.UID, change func(*corev1.Namespace)) error {
	err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
		ns, err := b.client.CoreV1().Namespaces().Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			return err
		}
		if err := checkOwned(ns, b.runID, uid); err != nil {
			return err
		}
		change(ns)
		_, err = b.client.CoreV1().Namespaces().Update(ctx, ns, metav1.UpdateOptions{})
		return err
	})
	if err != nil {
		return fmt.Errorf("update namespace %s: %w", name, err)
	}
	return nil
}

// deleteOwnedNamespace deletes a namespace of this run. The UID precondition
// makes the API server refuse if the name has meanwhile passed to another namespace.
func (b *Backend) deleteOwnedNamespace(ctx context.Context, name string, uid types.UID) error {
	ns, err := b.client.CoreV1().Namespaces().Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		return fmt.Errorf("delete namespace %s: %w", name, err)
	}
	if err := checkOwned(ns, b.runID, uid); err != nil {
		return fmt.Errorf("delete namespace %s: %w", name, err)
	}
	// The pods go first, at once (grace 0): a namespace waits for its pods
	// to be confirmed gone by their kubelets, which on a busy kind cluster
	// took tens of seconds at the end of a run. Probe pods hold nothing to
	// shut down cleanly, and their kubelets still stop the containers.
	if err := b.client.CoreV1().Pods(name).DeleteCollection(ctx, metav1.DeleteOptions{GracePeriodSeconds: ptr(int64(0))}, metav1.ListOptions{}); err != nil {
		return fmt.Errorf("delete the pods of namespace %s: %w", name, err)
	}
	if err := b.client.CoreV1().Namespaces().Delete(ctx, name, deleteOptions(ns.UID)); err != nil {
		return fmt.Errorf("delete namespace %s: %w", name, err)
	}
	return nil
}

// deleteOptions delete in the background with a UID precondition when the UID is known.
func deleteOptions(uid types.UID) metav1.DeleteOptions {
	policy := metav1.DeletePropagationBackground
	opts := metav1.DeleteOptions{PropagationPolicy: &policy}
	if uid != "" {
		opts.Preconditions = &metav1.Preconditions{UID: &uid}
	}
	return opts
}
