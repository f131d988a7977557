package kind

import (
	"context"
	"fmt"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes"

	"github.com/netpolcheck/netpolcheck/clusters/kind/knp"
	"github.com/netpolcheck/netpolcheck/clusters/kube"
	"github.com/netpolcheck/netpolcheck/enforcer/manifests"
)

// DefaultEnforcerTimeout bounds the wait for the enforcer's pods to be Ready:
// a pod starts in seconds once its image is on the node, so minutes mean
// something is wrong.
const DefaultEnforcerTimeout = 3 * time.Minute

// DeployEnforcer creates the reference enforcer's objects with image (or
// updates them when they exist) and waits, at most timeout, until the
// DaemonSet runs an up-to-date Ready pod on every node. Ready means the
// daemon opened its datapath and attached to the node's pods, so that
// policies are enforced from then on. The image must be on the nodes
// (LoadImages): they cannot pull. On timeout, or as soon as a pod cannot
// start, the error names each pod that is not Ready with its state, latest
// events and last log lines.
func (c *Cluster) DeployEnforcer(ctx context.Context, image string, timeout time.Duration) error {
	start := time.Now()
	objs, err := manifests.Objects(image)
	if err != nil {
		return fmt.Errorf("kind cluster %s: deploy enforcer: %w", c.name, err)
	}
	bounding, err := c.nodeBounding(ctx)
	if err != nil {
		return fmt.Errorf("kind cluster %s: deploy enforcer: %w", c.name, err)
	}
	if err := c.mountBPFFS(ctx); err != nil {
		return fmt.Errorf("kind cluster %s: deploy enforcer: %w", c.name, err)
	}
	for _, obj := range objs {
		if ds, ok := obj.(*appsv1.DaemonSet); ok {
			if replaced := fitCapabilities(ds, bounding); len(replaced) > 0 {
				fmt.Fprintf(c.opts.Log, "kind cluster %s: the nodes cannot grant %v (the docker daemon predates them): the enforcer gets CAP_SYS_ADMIN instead\n", c.name, replaced)
			}
		}
		if err := applyObject(ctx, c.client, obj); err != nil {
			return fmt.Errorf("kind cluster %s: deploy enforcer: %w", c.name, err)
		}
	}
	if err := waitEnforcer(ctx, c.client, len(c.nodes), timeout); err != nil {
		return fmt.Errorf("kind cluster %s: %w", c.name, err)
	}
	fmt.Fprintf(c.opts.Log, "kind cluster %s: enforcer %s Ready on %d nodes (%s)\n", c.name, image, len(c.nodes), time.Since(start).Round(time.Millisecond))
	return nil
}

// EnforcerImage returns the image of the enforcer DaemonSet, or "" when the
// cluster has none: a run on a cluster made earlier records from it which
// enforcer it tested.
func (c *Cluster) EnforcerImage(ctx context.Context) (string, error) {
	return c.daemonSetImage(ctx, referenceDaemonSet)
}

// daemonSetImage returns the image of an enforcer's DaemonSet, or "" when
// the cluster has none.
func (c *Cluster) daemonSetImage(ctx context.Context, d daemonSet) (string, error) {
	ds, err := c.client.AppsV1().DaemonSets(d.namespace).Get(ctx, d.name, metav1.GetOptions{})
	switch {
	case apierrors.IsNotFound(err):
		return "", nil
	case err != nil:
		return "", fmt.Errorf("kind cluster %s: read DaemonSet %s: %w", c.name, d.name, err)
	}
	if len(ds.Spec.Template.Spec.Containers) == 0 {
		return "", fmt.Errorf("kind cluster %s: DaemonSet %s has no container", c.name, d.name)
	}
	return ds.Spec.Template.Spec.Containers[0].Image, nil
}

// applyObject creates one of the enforcer's objects, or updates it in place.
func applyObject(ctx context.Context, client kubernetes.Interface, obj runtime.Object) error {
	switch o := obj.(type) {
	case *corev1.ServiceAccount:
		return createOrUpdate(ctx, client.CoreV1().ServiceAccounts(o.Namespace), o, "service account")
	case *rbacv1.ClusterRole:
		return createOrUpdate(ctx, client.RbacV1().ClusterRoles(), o, "cluster role")
	case *rbacv1.ClusterRoleBinding:
		return createOrUpdate(ctx, client.RbacV1().ClusterRoleBindings(), o, "cluster role binding")
	case *appsv1.DaemonSet:
		return createOrUpdate(ctx, client.AppsV1().DaemonSets(o.Namespace), o, "daemon set")
	}
	return fmt.Errorf("enforcer object of unexpected type %T", obj)
}

// objectAPI is the part of a typed client that createOrUpdate needs.
type objectAPI[T metav1.Object] interface {
	Create(ctx context.Context, obj T, opts metav1.CreateOptions) (T, error)
	Get(ctx context.Context, name string, opts metav1.GetOptions) (T, error)
	Update(ctx context.Context, obj T, opts metav1.UpdateOptions) (T, error)
}

// createOrUpdate makes deploying twice (kind up, then run on the same
// cluster with a newer image) a rollout rather than an error.
func createOrUpdate[T metav1.Object](ctx context.Context, api objectAPI[T], obj T, kind string) error {
	_, err := api.Create(ctx, obj, metav1.CreateOptions{})
	if err == nil {
		return nil
	}
	if !apierrors.IsAlreadyExists(err) {
		return fmt.Errorf("create %s %s: %w", kind, obj.GetName(), err)
	}
	current, err := api.Get(ctx, obj.GetName(), metav1.GetOptions{})
	if err != nil {
		return fmt.Errorf("read %s %s: %w", kind, obj.GetName(), err)
	}
	obj.SetResourceVersion(current.GetResourceVersion())
	if _, err := api.Update(ctx, obj, metav1.UpdateOptions{}); err != nil {
		return fmt.Errorf("update %s %s: %w", kind, obj.GetName(), err)
	}
	return nil
}

// EnforcerPods selects the pods of the enforcer the cluster runs, the
// reference enforcer's or kube-network-policies', for the behaviour probe
// that restarts them; nil when it runs none.
func (c *Cluster) EnforcerPods(ctx context.Context) (*kube.PodSelection, error) {
	for _, d := range []daemonSet{referenceDaemonSet, {knp.Namespace, knp.Name, knp.PodSelector}} {
		image, err := c.daemonSetImage(ctx, d)
		if err != nil {
			return nil, err
		}
		if image != "" {
			return &kube.PodSelection{Namespace: d.namespace, Selector: d.selector}, nil
		}
	}
	return nil, nil
}
