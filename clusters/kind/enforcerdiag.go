package kind

import (
	"context"
	"fmt"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/netpolcheck/netpolcheck/clusters/kind/internal/run"
	"github.com/netpolcheck/netpolcheck/clusters/kube"
)

// Limits of what an enforcer diagnosis shows per pod.
const (
	diagEvents   = 3
	diagLogLines = 5
)

// describePod is one line on why an enforcer pod is not Ready: its node and
// phase, each container's state, its latest events and its last log lines.
func describePod(p corev1.Pod, events []corev1.Event, log string) string {
	node := p.Spec.NodeName
	if node == "" {
		node = "no node yet"
	}
	facts := []string{fmt.Sprintf("%s on %s: phase %s", p.Name, node, orUnknown(string(p.Status.Phase)))}
	for _, cs := range p.Status.ContainerStatuses {
		facts = append(facts, "container "+cs.Name+" "+containerState(cs))
	}
	facts = append(facts, "events: "+eventLine(events))
	if log != "" {
		facts = append(facts, "log: "+log)
	}
	return strings.Join(facts, "; ")
}

// containerState says what a container is doing and how its last run ended.
func containerState(cs corev1.ContainerStatus) string {
	var state string
	switch s := cs.State; {
	case s.Waiting != nil:
		state = strings.TrimSuffix("waiting: "+s.Waiting.Reason+" "+s.Waiting.Message, " ")
	case s.Terminated != nil:
		state = fmt.Sprintf("terminated with exit code %d %s", s.Terminated.ExitCode, s.Terminated.Reason)
	case s.Running != nil && cs.Ready:
		state = "running, ready"
	case s.Running != nil:
		state = "running, not ready"
	default:
		state = "no state"
	}
	if cs.RestartCount > 0 {
		state += fmt.Sprintf(" (%d restarts)", cs.RestartCount)
	}
	if t := cs.LastTerminationState.Terminated; t != nil {
		state += fmt.Sprintf(", last exit code %d", t.ExitCode)
	}
	return strings.TrimSpace(state)
}

// eventsOf picks one object's events, oldest first, the latest diagEvents of
// them. It filters here rather than by field selector, which fake clients
// ignore.
func eventsOf(all []corev1.Event, kind, name string) []corev1.Event {
	var out []corev1.Event
	for _, e := range all {
		if e.InvolvedObject.Kind == kind && e.InvolvedObject.Name == name {
			out = append(out, e)
		}
	}
	kube.SortEvents(out)
	if len(out) > diagEvents {
		out = out[len(out)-diagEvents:]
	}
	return out
}

// eventLine joins events as "Reason: message (n times)", or says there are none.
func eventLine(events []corev1.Event) string {
	if len(events) == 0 {
		return "none"
	}
	lines := make([]string, 0, len(events))
	for _, e := range events {
		line := e.Reason + ": " + strings.TrimSpace(e.Message)
		if e.Count > 1 {
			line += fmt.Sprintf(" (%d times)", e.Count)
		}
		lines = append(lines, line)
	}
	return strings.Join(lines, " | ")
}

// podLog returns the last lines the enforcer printed, from its previous run
// when it restarted (that is the run that failed); "" when there is none.
func podLog(ctx context.Context, client kubernetes.Interface, p corev1.Pod) string {
	if len(p.Status.ContainerStatuses) == 0 {
		return ""
	}
	cs := p.Status.ContainerStatuses[0]
	tail := int64(diagLogLines)
	opts := &corev1.PodLogOptions{Container: cs.Name, TailLines: &tail, Previous: cs.RestartCount > 0}
	raw, err := client.CoreV1().Pods(p.Namespace).GetLogs(p.Name, opts).DoRaw(ctx)
	if err != nil {
		return ""
	}
	return strings.ReplaceAll(run.LastLines(string(raw), diagLogLines), "\n", " / ")
}

func orUnknown(s string) string {
	if s == "" {
		return "unknown"
	}
	return s
}
