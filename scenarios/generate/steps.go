package generate

import (
	"github.com/netpolcheck/netpolcheck/scenarios"
)

// relabeledNamespace is the namespace the relabel-namespace step labels.
const relabeledNamespace = "y"

// steps are a case's steps: the first applies the policy, and every step kind
// but create adds a second one. Expect stays nil: the oracle is the expectation.
func steps(c combo) []scenarios.Step {
	out := []scenarios.Step{{
		Name:    "apply the policy",
		Actions: []scenarios.Action{{Apply: firstPolicy(c)}},
	}}
	switch c.step {
	case StepUpdate:
		out = append(out, scenarios.Step{
			Name:    "update the policy's ports",
			Actions: []scenarios.Action{{Update: updatedPolicy(c)}},
		})
	case StepDelete:
		out = append(out, scenarios.Step{
			Name:    "delete the policy",
			Actions: []scenarios.Action{{Delete: policyNamespace + "/" + policyName}},
		})
	case StepRelabelPod:
		pod, labels := podRelabel(c)
		out = append(out, scenarios.Step{
			Name:    "relabel " + pod,
			Actions: []scenarios.Action{{SetPodLabels: &scenarios.PodLabels{Pod: pod, Labels: labels}}},
		})
	case StepRelabelNamespace:
		out = append(out, scenarios.Step{
			Name: "label namespace " + relabeledNamespace,
			Actions: []scenarios.Action{{SetNamespaceLabels: &scenarios.NamespaceLabels{
				Namespace: relabeledNamespace, Labels: map[string]string{relabelKey: relabelValue},
			}}},
		})
	}
	return out
}

// podRelabel picks the pod a relabel-pod step changes and its new labels.
// With a target selector, x/c takes pod=a and joins the targets; otherwise
// pod a of the peer's namespace takes pod=b and joins the peer.
func podRelabel(c combo) (pod string, labels map[string]string) {
	if c.target != TargetAll {
		return policyNamespace + "/c", map[string]string{"pod": "a"}
	}
	ns := "y"
	if c.namespace == NamespaceSame {
		ns = policyNamespace
	}
	return ns + "/a", map[string]string{"pod": "b"}
}
