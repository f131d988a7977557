package kube

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// notReadyError names the probe pods that did not start, each with its
// phase, conditions, container states and latest events.
type notReadyError struct {
	what string // "not ready after 2m0s" or "cannot start"
	pods []string
}

func (e *notReadyError) Error() string {
	noun := "probe pods"
	if len(e.pods) == 1 {
		noun = "probe pod"
	}
	return fmt.Sprintf("%d %s %s:\n  %s", len(e.pods), noun, e.what, strings.Join(e.pods, "\n  "))
}

// diagnose reads what went wrong with each pod. It uses a context of its own
// because the one given may have ended, which is often why it is called.
func (c *Cluster) diagnose(ctx context.Context, what string, pods []*livePod) error {
	dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	e := &notReadyError{what: what}
	for _, lp := range pods {
		e.pods = append(e.pods, c.describePod(dctx, lp))
	}
	return e
}

// describePod is one line on why a pod is not ready.
func (c *Cluster) describePod(ctx context.Context, lp *livePod) string {
	head := fmt.Sprintf("%s (pod %s in %s)", lp.id, lp.name, lp.namespace)
	pod, err := c.b.client.CoreV1().Pods(lp.namespace).Get(ctx, lp.name, metav1.GetOptions{})
	if err != nil {
		return head + ": " + err.Error()
	}
	facts := []string{"phase " + string(pod.Status.Phase)}
	if pod.Status.Phase == "" {
		facts[0] = "phase unknown"
	}
	facts = append(facts, conditionFacts(pod)...)
	facts = append(facts, containerFacts(pod)...)
	if podReady(pod) && lp.service != "" {
		facts = append(facts, fmt.Sprintf("service %s has no ready endpoint for %s", lp.service, podIPv4(pod)))
	}
	events, err := c.podEvents(ctx, lp)
	switch {
	case err != nil:
		facts = append(facts, "events: "+err.Error())
	case len(events) > 0:
		facts = append(facts, "events: "+strings.Join(events, "; "))
	default:
		facts = append(facts, "no events")
	}
	return head + ": " + strings.Join(facts, "; ")
}

func conditionFacts(pod *corev1.Pod) []string {
	var out []string
	for _, c := range pod.Status.Conditions {
		if c.Status == corev1.ConditionTrue || (c.Reason == "" && c.Message == "") {
			continue
		}
		out = append(out, strings.TrimRight(fmt.Sprintf("%s: %s %s", c.Type, c.Reason, c.Message), " "))
	}
	return out
}

func containerFacts(pod *corev1.Pod) []string {
	var out []string
	for _, cs := range pod.Status.ContainerStatuses {
		var state string
		switch s := cs.State; {
		case s.Waiting != nil:
			state = joinNonEmpty(": ", "waiting", s.Waiting.Reason, s.Waiting.Message)
		case s.Terminated != nil:
			state = joinNonEmpty(": ", fmt.Sprintf("terminated with exit code %d", s.Terminated.ExitCode), s.Terminated.Reason, s.Terminated.Message)
		case s.Running != nil:
			state = "running, not ready"
			if cs.Ready {
				state = "running, ready"
			}
		default:
			state = "no state"
		}
		if cs.RestartCount > 0 {
			state += fmt.Sprintf(" (%d restarts)", cs.RestartCount)
		}
		out = append(out, "container "+cs.Name+" "+state)
	}
	return out
}

// maxEvents is how many of a pod's latest events an error shows.
const maxEvents = 5

// podEvents are the pod's latest events, oldest first, as "Type Reason:
// message (n times)". Events are filtered here rather than by field
// selector, which not every client (nor the fake one) honours.
func (c *Cluster) podEvents(ctx context.Context, lp *livePod) ([]string, error) {
	list, err := c.b.client.CoreV1().Events(lp.namespace).List(ctx, metav1.ListOptions{})
	if err != nil {
		return nil, fmt.Errorf("list events: %w", err)
	}
	var picked []corev1.Event
	for _, e := range list.Items {
		if e.InvolvedObject.Kind == "Pod" && e.InvolvedObject.Name == lp.name {
			picked = append(picked, e)
		}
	}
	SortEvents(picked)
	if len(picked) > maxEvents {
		picked = picked[len(picked)-maxEvents:]
	}
	out := make([]string, 0, len(picked))
	for _, e := range picked {
		line := joinNonEmpty(": ", strings.TrimSpace(e.Type+" "+e.Reason), strings.TrimSpace(e.Message))
		if e.Count > 1 {
			line += fmt.Sprintf(" (%d times)", e.Count)
		}
		out = append(out, line)
	}
	return out, nil
}

// SortEvents orders events by when they last happened (last timestamp, else
// event time, else first timestamp), stably. Every diagnosis of pods that
// did not start reads them in that order.
func SortEvents(events []corev1.Event) {
	last := func(e corev1.Event) time.Time {
		switch {
		case !e.LastTimestamp.IsZero():
			return e.LastTimestamp.Time
		case !e.EventTime.IsZero():
			return e.EventTime.Time
		}
		return e.FirstTimestamp.Time
	}
	slices.SortStableFunc(events, func(a, b corev1.Event) int { return last(a).Compare(last(b)) })
}

func joinNonEmpty(sep string, parts ...string) string {
	var kept []string
	for _, p := range parts {
		if p != "" {
			kept = append(kept, p)
		}
	}
	return strings.Join(kept, sep)
}
