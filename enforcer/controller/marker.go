package controller

import (
	"context"
	"fmt"
	"strconv"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	npav1alpha2 "sigs.k8s.io/network-policy-api/apis/v1alpha2"
	npaversioned "sigs.k8s.io/network-policy-api/pkg/client/clientset/versioned"
)

// The sentinel objects that carry sync markers, and their annotation.
const (
	// SyncNamespace is the sentinel namespace; the sentinel pod and policy live in it.
	SyncNamespace = "netpolcheck-sync"
	// SyncObject names the sentinel pod and policy.
	SyncObject = "marker"
	// SyncAnnotation holds the marker, a decimal number.
	SyncAnnotation = "netpolcheck.io/sync"
	// syncGate keeps the sentinel pod from ever being scheduled.
	syncGate = "netpolcheck.io/never"
)

// WriteSyncMarker stamps marker into the three sentinel objects, creating
// them on first use, namespace first so that a real API server accepts the
// others. Markers must grow: the controller reports the smallest one it has
// seen on all three kinds.
func WriteSyncMarker(ctx context.Context, client kubernetes.Interface, marker uint64) error {
	value := strconv.FormatUint(marker, 10)
	meta := func(namespace, name string) metav1.ObjectMeta {
		return metav1.ObjectMeta{Namespace: namespace, Name: name, Annotations: map[string]string{SyncAnnotation: value}}
	}
	ns := &corev1.Namespace{ObjectMeta: meta("", SyncNamespace)}
	pod := &corev1.Pod{
		ObjectMeta: meta(SyncNamespace, SyncObject),
		Spec: corev1.PodSpec{
			SchedulingGates: []corev1.PodSchedulingGate{{Name: syncGate}},
			Containers:      []corev1.Container{{Name: "marker", Image: "registry.k8s.io/pause:3.10"}},
		},
	}
	policy := &networkingv1.NetworkPolicy{
		ObjectMeta: meta(SyncNamespace, SyncObject),
		Spec: networkingv1.NetworkPolicySpec{
			PodSelector: metav1.LabelSelector{MatchLabels: map[string]string{SyncAnnotation: "sentinel"}},
			PolicyTypes: []networkingv1.PolicyType{networkingv1.PolicyTypeIngress},
		},
	}
	core, networking := client.CoreV1(), client.NetworkingV1()
	err := upsert(ctx, ns, core.Namespaces().Get, core.Namespaces().Create, core.Namespaces().Update)
	if err == nil {
		pods := core.Pods(SyncNamespace)
		err = upsert(ctx, pod, pods.Get, pods.Create, pods.Update)
	}
	if err == nil {
		policies := networking.NetworkPolicies(SyncNamespace)
		err = upsert(ctx, policy, policies.Get, policies.Create, policies.Update)
	}
	if err != nil {
		return fmt.Errorf("write sync marker %d: %w", marker, err)
	}
	return nil
}

// WriteClusterPolicySyncMarker stamps marker into the sentinel
// ClusterNetworkPolicy, named as the sentinel namespace, for a controller
// that watches cluster policies. The sentinel's subject is the sentinel
// namespace, which has no pods, and it has no rules: it changes nothing.
func WriteClusterPolicySyncMarker(ctx context.Context, client npaversioned.Interface, marker uint64) error {
	cnp := &npav1alpha2.ClusterNetworkPolicy{
		ObjectMeta: metav1.ObjectMeta{Name: SyncNamespace, Annotations: map[string]string{SyncAnnotation: strconv.FormatUint(marker, 10)}},
		Spec: npav1alpha2.ClusterNetworkPolicySpec{
			Tier:     npav1alpha2.BaselineTier,
			Priority: 1000,
			Subject: npav1alpha2.ClusterNetworkPolicySubject{
				Namespaces: &metav1.LabelSelector{MatchLabels: map[string]string{corev1.LabelMetadataName: SyncNamespace}},
			},
		},
	}
	policies := client.PolicyV1alpha2().ClusterNetworkPolicies()
	if err := upsert(ctx, cnp, policies.Get, policies.Create, policies.Update); err != nil {
		return fmt.Errorf("write sync marker %d: %w", marker, err)
	}
	return nil
}

// object is what upsert needs of a typed API object.
type object interface {
	*corev1.Namespace | *corev1.Pod | *networkingv1.NetworkPolicy | *npav1alpha2.ClusterNetworkPolicy
	metav1.Object
}

// upsert sets the wanted annotations on an existing object, or creates it.
func upsert[T object](
	ctx context.Context, want T,
	get func(context.Context, string, metav1.GetOptions) (T, error),
	create func(context.Context, T, metav1.CreateOptions) (T, error),
	update func(context.Context, T, metav1.UpdateOptions) (T, error),
) error {
	current, err := get(ctx, want.GetName(), metav1.GetOptions{})
	switch {
	case apierrors.IsNotFound(err):
		if _, err := create(ctx, want, metav1.CreateOptions{}); err != nil {
			return fmt.Errorf("create %s: %w", want.GetName(), err)
		}
		return nil
	case err != nil:
		return fmt.Errorf("get %s: %w", want.GetName(), err)
	}
	annotations := current.GetAnnotations()
	if annotations == nil {
		annotations = map[string]string{}
	}
	for k, v := range want.GetAnnotations() {
		annotations[k] = v
	}
	current.SetAnnotations(annotations)
	if _, err := update(ctx, current, metav1.UpdateOptions{}); err != nil {
		return fmt.Errorf("update %s: %w", want.GetName(), err)
	}
	return nil
}

// markerOf is the marker in an object's annotations, zero when there is none.
func markerOf(annotations map[string]string) uint64 {
	n, err := strconv.ParseUint(annotations[SyncAnnotation], 10, 64)
	if err != nil {
		return 0
	}
	return n
}

// isSentinel tells the sentinel objects, which the compiled input leaves out.
func isSentinel(namespace, name string) bool {
	if namespace == "" {
		return name == SyncNamespace
	}
	return namespace == SyncNamespace && name == SyncObject
}
