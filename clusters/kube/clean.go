package kube

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	npaversioned "sigs.k8s.io/network-policy-api/pkg/client/clientset/versioned"
)

// Clean deletes the namespaces that runs left behind: those carrying
// RunLabel whose ExpiresAnnotation has passed, because their run stopped
// renewing it (it crashed or was killed); with all, also those of runs still
// going. With policyAPI set it also deletes the ClusterNetworkPolicies of
// runs that have no live namespace left. It returns the names of what it
// deleted, sorted. Nothing without RunLabel, or not named npc-..., is
// ever touched.
func Clean(ctx context.Context, client kubernetes.Interface, policyAPI npaversioned.Interface, all bool) ([]string, error) {
	return clean(ctx, client, policyAPI, all, time.Now())
}

func clean(ctx context.Context, client kubernetes.Interface, policyAPI npaversioned.Interface, all bool, now time.Time) ([]string, error) {
	list, err := client.CoreV1().Namespaces().List(ctx, metav1.ListOptions{LabelSelector: RunLabel})
	if err != nil {
		return nil, fmt.Errorf("clean: list namespaces: %w", err)
	}
	var removed []string
	var errs []error
	live := map[string]bool{}
	for _, ns := range list.Items {
		if cleanable(&ns) && ns.DeletionTimestamp == nil && !expired(&ns, now) {
			live[ns.Labels[RunLabel]] = true
		}
		if !cleanable(&ns) || ns.DeletionTimestamp != nil || (!all && !expired(&ns, now)) {
			continue
		}
		err := client.CoreV1().Namespaces().Delete(ctx, ns.Name, deleteOptions(ns.UID))
		switch {
		case apierrors.IsNotFound(err):
		case err != nil:
			errs = append(errs, fmt.Errorf("delete namespace %s: %w", ns.Name, err))
		default:
			removed = append(removed, ns.Name)
		}
	}
	if policyAPI != nil {
		policies, err := cleanClusterPolicies(ctx, client.Discovery(), policyAPI, live, all)
		removed = append(removed, policies...)
		errs = append(errs, err)
		admins, err := cleanAdminPolicies(ctx, client.Discovery(), policyAPI, live, all)
		removed = append(removed, admins...)
		errs = append(errs, err)
	}
	slices.Sort(removed)
	if err := errors.Join(errs...); err != nil {
		return removed, fmt.Errorf("clean: %w", err)
	}
	return removed, nil
}

// cleanable checks for itself what the label selector asked the server:
// only our own namespaces may go, whatever the server answered.
func cleanable(ns *corev1.Namespace) bool {
	run, ok := ns.Labels[RunLabel]
	return ok && run != "" && strings.HasPrefix(ns.Name, namePrefix+run+"-")
}

// expired says the namespace's run stopped renewing it. A missing or
// unreadable expiry counts as expired: every run writes one at creation.
func expired(ns *corev1.Namespace, now time.Time) bool {
	t, err := time.Parse(time.RFC3339, ns.Annotations[ExpiresAnnotation])
	return err != nil || now.After(t)
}
