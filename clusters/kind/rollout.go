package kind

import (
	"context"
	"errors"
	"fmt"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/kubernetes"

	"github.com/netpolcheck/netpolcheck/enforcer/manifests"
)

// rolloutPoll is how often the enforcer's rollout is read again.
const rolloutPoll = time.Second

// daemonSet names an enforcer's DaemonSet and selects its pods.
type daemonSet struct {
	namespace, name, selector string
}

// referenceDaemonSet is the reference enforcer's.
var referenceDaemonSet = daemonSet{manifests.Namespace, manifests.Name, manifests.PodSelector}

// rolloutProgress says whether the DaemonSet runs an up-to-date Ready pod on
// each of nodes nodes, and if not, how far it got, for the timeout error.
// It reads what `kubectl rollout status` reads, plus the node count: the
// DaemonSet tolerates the control plane, so it belongs on every node.
func rolloutProgress(ds *appsv1.DaemonSet, nodes int) (bool, string) {
	s := ds.Status
	switch {
	case s.ObservedGeneration < ds.Generation:
		return false, fmt.Sprintf("the DaemonSet controller has not seen generation %d yet", ds.Generation)
	case int(s.DesiredNumberScheduled) != nodes:
		return false, fmt.Sprintf("scheduled on %d of %d nodes", s.DesiredNumberScheduled, nodes)
	case s.UpdatedNumberScheduled < s.DesiredNumberScheduled:
		return false, fmt.Sprintf("%d of %d pods run the new template", s.UpdatedNumberScheduled, s.DesiredNumberScheduled)
	case s.NumberAvailable < s.DesiredNumberScheduled:
		return false, fmt.Sprintf("%d of %d pods Ready", s.NumberAvailable, s.DesiredNumberScheduled)
	}
	return true, fmt.Sprintf("%d of %d pods Ready", s.NumberAvailable, s.DesiredNumberScheduled)
}

// hopelessWaits are container waiting reasons no wait cures on a kind
// cluster: its nodes cannot pull (they have no route out), and the daemon
// does not crash on a healthy node.
var hopelessWaits = map[string]bool{
	"ErrImageNeverPull":          true,
	"ErrImagePull":               true,
	"ImagePullBackOff":           true,
	"InvalidImageName":           true,
	"CreateContainerConfigError": true,
	"CreateContainerError":       true,
	"CrashLoopBackOff":           true,
}

// hopeless returns the enforcer pods that will never become Ready.
func hopeless(pods []corev1.Pod) []corev1.Pod {
	var out []corev1.Pod
	for _, p := range pods {
		for _, cs := range p.Status.ContainerStatuses {
			if w := cs.State.Waiting; w != nil && hopelessWaits[w.Reason] {
				out = append(out, p)
				break
			}
		}
	}
	return out
}

// waitEnforcer waits until the enforcer runs Ready on every node, failing
// early when a pod cannot start.
func waitEnforcer(ctx context.Context, client kubernetes.Interface, nodes int, timeout time.Duration) error {
	return waitDaemonSet(ctx, client, referenceDaemonSet, nodes, timeout)
}

// waitDaemonSet waits until an enforcer's DaemonSet runs Ready on every
// node, failing early when a pod cannot start.
func waitDaemonSet(ctx context.Context, client kubernetes.Interface, d daemonSet, nodes int, timeout time.Duration) error {
	progress := "the DaemonSet was not read yet"
	var stuck []corev1.Pod
	err := wait.PollUntilContextTimeout(ctx, rolloutPoll, timeout, true, func(ctx context.Context) (bool, error) {
		stuck = nil
		ds, err := client.AppsV1().DaemonSets(d.namespace).Get(ctx, d.name, metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			return false, fmt.Errorf("read enforcer DaemonSet: %w", err)
		}
		if err != nil {
			// The API server may blink while the control plane settles.
			progress = "read the DaemonSet: " + err.Error()
			return false, nil
		}
		var done bool
		if done, progress = rolloutProgress(ds, nodes); done {
			return true, nil
		}
		pods, err := client.CoreV1().Pods(d.namespace).List(ctx, metav1.ListOptions{LabelSelector: d.selector})
		if err != nil {
			return false, nil
		}
		stuck = hopeless(pods.Items)
		return len(stuck) > 0, nil
	})
	switch {
	case err == nil && len(stuck) > 0:
		return describeEnforcer(ctx, client, d, fmt.Sprintf("cannot start (%s)", progress))
	case err == nil:
		return nil
	case ctx.Err() != nil:
		return fmt.Errorf("wait for enforcer: %w (%s)", ctx.Err(), progress)
	case wait.Interrupted(err):
		return describeEnforcer(ctx, client, d, fmt.Sprintf("not Ready after %s (%s)", timeout, progress))
	}
	return fmt.Errorf("wait for enforcer: %w", err)
}

// describeEnforcer reads why the enforcer is not Ready. It has a context of
// its own because the given one may have ended, often the reason it is called.
func describeEnforcer(ctx context.Context, client kubernetes.Interface, d daemonSet, what string) error {
	dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	e := &enforcerNotReady{what: what}
	pods, err := client.CoreV1().Pods(d.namespace).List(dctx, metav1.ListOptions{LabelSelector: d.selector})
	if err != nil {
		return errors.Join(e, fmt.Errorf("list enforcer pods: %w", err))
	}
	events, err := client.CoreV1().Events(d.namespace).List(dctx, metav1.ListOptions{})
	if err != nil {
		return errors.Join(e, fmt.Errorf("list events: %w", err))
	}
	for _, p := range pods.Items {
		if podIsReady(p) {
			continue
		}
		e.pods = append(e.pods, describePod(p, eventsOf(events.Items, "Pod", p.Name), podLog(dctx, client, p)))
	}
	if len(pods.Items) == 0 {
		// No pod at all: the DaemonSet's own events say why (FailedCreate).
		e.pods = append(e.pods, "no pods; DaemonSet "+eventLine(eventsOf(events.Items, "DaemonSet", d.name)))
	}
	return e
}

// enforcerNotReady names each enforcer pod that is not Ready, one per line.
type enforcerNotReady struct {
	what string
	pods []string
}

func (e *enforcerNotReady) Error() string {
	msg := "enforcer " + e.what
	for _, p := range e.pods {
		msg += "\n  " + p
	}
	return msg
}

func podIsReady(p corev1.Pod) bool {
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.PodReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}
