package reference

import (
	"context"
	"errors"
	"fmt"
	"strings"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	npaversioned "sigs.k8s.io/network-policy-api/pkg/client/clientset/versioned"

	"github.com/netpolcheck/netpolcheck/enforcer/controller"
	"github.com/netpolcheck/netpolcheck/scenarios"
)

// feeder writes changes into a clientset as the API server would end up
// holding them.
type feeder struct {
	client kubernetes.Interface
	// policyAPI holds the cluster policies.
	policyAPI npaversioned.Interface
	node      string
	// wrote runs after every write, so that a long burst can pause for the
	// informers to drain.
	wrote func(context.Context) error
}

// mirror writes one change.
func (f *feeder) mirror(ctx context.Context, c scenarios.Change) error {
	if err := checkChange(c); err != nil {
		return err
	}
	core, networking := f.client.CoreV1(), f.client.NetworkingV1()
	var err error
	switch c.Kind {
	case scenarios.AddNamespace:
		_, err = core.Namespaces().Create(ctx, namespaceObject(*c.Namespace), metav1.CreateOptions{})
	case scenarios.LabelNamespace:
		ns, getErr := core.Namespaces().Get(ctx, c.Namespace.Name, metav1.GetOptions{})
		if getErr != nil {
			return getErr
		}
		ns.Labels = namespaceObject(*c.Namespace).Labels
		_, err = core.Namespaces().Update(ctx, ns, metav1.UpdateOptions{})
	case scenarios.RemoveNamespace:
		return f.removeNamespace(ctx, c.Namespace.Name)
	case scenarios.AddPod:
		_, err = core.Pods(c.Pod.Namespace).Create(ctx, podObject(*c.Pod, f.node), metav1.CreateOptions{})
	case scenarios.LabelPod:
		pod, getErr := core.Pods(c.Pod.Namespace).Get(ctx, c.Pod.Name, metav1.GetOptions{})
		if getErr != nil {
			return getErr
		}
		pod.Labels = podObject(*c.Pod, f.node).Labels
		_, err = core.Pods(c.Pod.Namespace).Update(ctx, pod, metav1.UpdateOptions{})
	case scenarios.RemovePod:
		err = core.Pods(c.Pod.Namespace).Delete(ctx, c.Pod.Name, metav1.DeleteOptions{})
	case scenarios.ApplyPolicy:
		want := policyObject(c.Policy)
		policies := networking.NetworkPolicies(want.Namespace)
		_, err = policies.Update(ctx, want, metav1.UpdateOptions{})
		if apierrors.IsNotFound(err) {
			_, err = policies.Create(ctx, want, metav1.CreateOptions{})
		}
	case scenarios.DeletePolicy:
		namespace, name, _ := strings.Cut(c.PolicyKey, "/")
		err = networking.NetworkPolicies(namespace).Delete(ctx, name, metav1.DeleteOptions{})
	case scenarios.ApplyClusterPolicy:
		want := clusterPolicyObject(c.ClusterPolicy)
		policies := f.policyAPI.PolicyV1alpha2().ClusterNetworkPolicies()
		_, err = policies.Update(ctx, want, metav1.UpdateOptions{})
		if apierrors.IsNotFound(err) {
			_, err = policies.Create(ctx, want, metav1.CreateOptions{})
		}
	case scenarios.DeleteClusterPolicy:
		kind, name, _ := strings.Cut(c.PolicyKey, "/")
		err = f.policyAPI.PolicyV1alpha2().ClusterNetworkPolicies().Delete(ctx, mirroredName(kind, name), metav1.DeleteOptions{})
	}
	if err != nil {
		return err
	}
	return f.wrote(ctx)
}

// checkChange rejects a change missing the object its kind needs, so that
// bad input gives an error rather than a nil dereference.
func checkChange(c scenarios.Change) error {
	switch c.Kind {
	case scenarios.AddNamespace, scenarios.LabelNamespace, scenarios.RemoveNamespace:
		if c.Namespace == nil {
			return fmt.Errorf("%s without a namespace", c.Kind)
		}
		if c.Namespace.Name == controller.SyncNamespace {
			return fmt.Errorf("namespace %s is reserved for the enforcer's sync markers", c.Namespace.Name)
		}
	case scenarios.AddPod, scenarios.LabelPod, scenarios.RemovePod:
		if c.Pod == nil {
			return fmt.Errorf("%s without a pod", c.Kind)
		}
	case scenarios.ApplyPolicy:
		if c.Policy == nil {
			return fmt.Errorf("%s without a policy", c.Kind)
		}
	case scenarios.DeletePolicy:
		if ns, name, ok := strings.Cut(c.PolicyKey, "/"); !ok || ns == "" || name == "" {
			return fmt.Errorf("policy key %q is not ns/name", c.PolicyKey)
		}
	case scenarios.ApplyClusterPolicy:
		if c.ClusterPolicy == nil {
			return fmt.Errorf("%s without a cluster policy", c.Kind)
		}
		if c.ClusterPolicy.Name == controller.SyncNamespace {
			return fmt.Errorf("cluster policy name %s is reserved for the enforcer's sync markers", c.ClusterPolicy.Name)
		}
	case scenarios.DeleteClusterPolicy:
		if kind, name, ok := strings.Cut(c.PolicyKey, "/"); !ok || kind == "" || name == "" {
			return fmt.Errorf("cluster policy key %q is not Kind/name", c.PolicyKey)
		}
	default:
		return fmt.Errorf("unknown change kind %q", c.Kind)
	}
	return nil
}

// removeNamespace deletes the namespace's pods and policies, then the
// namespace: the in-memory clientset has no garbage collector to do it.
func (f *feeder) removeNamespace(ctx context.Context, name string) error {
	core, networking := f.client.CoreV1(), f.client.NetworkingV1()
	pods, err := core.Pods(name).List(ctx, metav1.ListOptions{})
	if err != nil {
		return err
	}
	policies, err := networking.NetworkPolicies(name).List(ctx, metav1.ListOptions{})
	if err != nil {
		return err
	}
	var deletes []func() error
	for _, p := range pods.Items {
		deletes = append(deletes, func() error { return core.Pods(name).Delete(ctx, p.Name, metav1.DeleteOptions{}) })
	}
	for _, p := range policies.Items {
		deletes = append(deletes, func() error { return networking.NetworkPolicies(name).Delete(ctx, p.Name, metav1.DeleteOptions{}) })
	}
	deletes = append(deletes, func() error { return core.Namespaces().Delete(ctx, name, metav1.DeleteOptions{}) })
	var errs []error
	for _, del := range deletes {
		if err := del(); err != nil {
			errs = append(errs, err)
			continue
		}
		if err := f.wrote(ctx); err != nil {
			return errors.Join(append(errs, err)...)
		}
	}
	return errors.Join(errs...)
}
