package kube

import (
	"fmt"
	"hash/fnv"
	"strings"
	"sync"

	"k8s.io/apimachinery/pkg/util/validation"
)

// The labels and annotations netpolcheck puts on what it creates. Keys under
// netpolcheck.io/ are refused in scenarios, so that no scenario can forge
// ownership or select on them.
const (
	// RunLabel marks each namespace a run creates with the run's ID. Nothing
	// without it is ever changed or deleted, by a run or by Clean.
	RunLabel = "netpolcheck.io/run"
	// ExpiresAnnotation holds the time (RFC 3339) until which a namespace's
	// run counts as alive; the run renews it while it lasts, and Clean
	// without all removes namespaces past it.
	ExpiresAnnotation = "netpolcheck.io/expires"
	// ScenarioAnnotation names the scenario a namespace belongs to.
	ScenarioAnnotation = "netpolcheck.io/scenario"
	// NamespaceAnnotation names the scenario namespace a real namespace stands for.
	NamespaceAnnotation = "netpolcheck.io/namespace"
	// IdentityAnnotation holds a probe pod's identity, "ns/pod" in scenario names.
	IdentityAnnotation = "netpolcheck.io/identity"
	// PodLabel selects a probe pod for its own Service when probing through
	// Services (TargetService); it is set only then.
	PodLabel = "netpolcheck.io/pod"

	reservedPrefix = "netpolcheck.io/"
	// namespaceNameLabel is set by the API server on every namespace to its name.
	namespaceNameLabel = "kubernetes.io/metadata.name"
	// namePrefix starts every namespace a run creates.
	namePrefix = "npc-"
)

// namespaceNames maps one cluster's scenario namespace names to real ones,
// npc-<run>-<cluster>-<name>, and back. The forward map is a pure function of
// the name, so that a policy can name a namespace that a later step creates.
type namespaceNames struct {
	prefix string

	mu         sync.Mutex
	scenarioOf map[string]string
}

func newNamespaceNames(run string, cluster int) *namespaceNames {
	return &namespaceNames{
		prefix:     fmt.Sprintf("%s%s-%d-", namePrefix, run, cluster),
		scenarioOf: map[string]string{},
	}
}

// real returns the real name of the scenario namespace name. A name too long
// to fit after the prefix keeps its start and gets a hash of the whole, so
// that two long names never meet.
func (m *namespaceNames) real(name string) string {
	r := m.prefix + name
	if len(r) > validation.DNS1123LabelMaxLength {
		h := fnv.New32a()
		h.Write([]byte(name))
		suffix := fmt.Sprintf("-%08x", h.Sum32())
		keep := validation.DNS1123LabelMaxLength - len(m.prefix) - len(suffix)
		r = m.prefix + name[:keep] + suffix
	}
	m.mu.Lock()
	m.scenarioOf[r] = name
	m.mu.Unlock()
	return r
}

// scenario returns the scenario name of a real namespace this map has named.
func (m *namespaceNames) scenario(real string) (string, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	name, ok := m.scenarioOf[real]
	return name, ok
}

// realValue maps a value of the kubernetes.io/metadata.name label. A value
// that is no valid namespace name selects no namespace in the scenario, and
// it selects none in the cluster either when left as it is.
func (m *namespaceNames) realValue(v string) string {
	if len(validation.IsDNS1123Label(v)) > 0 {
		return v
	}
	return m.real(v)
}

// splitPodID splits a scenario pod identity "ns/pod".
func splitPodID(id string) (namespace, name string, err error) {
	namespace, name, ok := strings.Cut(id, "/")
	if !ok || namespace == "" || name == "" {
		return "", "", fmt.Errorf("pod %q is not ns/pod", id)
	}
	return namespace, name, nil
}

// checkLabels refuses scenario labels under netpolcheck.io/: they would
// forge or hide the ownership label Clean relies on.
func checkLabels(what string, labels map[string]string) error {
	for k := range labels {
		if strings.HasPrefix(k, reservedPrefix) {
			return fmt.Errorf("%s: label %s is reserved for netpolcheck", what, k)
		}
	}
	return nil
}
