package scenarios

import (
	"fmt"
	"slices"
	"strings"

	"k8s.io/apimachinery/pkg/util/validation"
)

// NamespaceNameLabel is the label the API server puts on every namespace,
// holding its name. Scenarios get it too, so namespaceSelectors can use it.
const NamespaceNameLabel = "kubernetes.io/metadata.name"

// problems joins the findings of a k8s.io/apimachinery validation function,
// dropping their regular-expression appendix, which users do not need.
func problems(msgs []string) string {
	for i, m := range msgs {
		if cut, _, found := strings.Cut(m, " (e.g. "); found {
			msgs[i] = cut
		}
	}
	return strings.Join(msgs, "; ")
}

// checkLabels validates label keys and values, in key order for stable output.
// Errors name the labels field and point their line at the key.
func checkLabels(labels map[string]string, path string) Errors {
	var errs Errors
	for _, k := range sortedKeys(labels) {
		if msg := labelKeyProblem(k); msg != "" {
			errs = append(errs, &InputError{Field: path, at: joinPath(path, k), Msg: msg})
			continue
		}
		if msgs := validation.IsValidLabelValue(labels[k]); len(msgs) > 0 {
			errs = append(errs, &InputError{Field: path, at: joinPath(path, k),
				Msg: fmt.Sprintf("invalid label value %q for key %q: %s", labels[k], k, problems(msgs))})
		}
	}
	return errs
}

func labelKeyProblem(k string) string {
	if msgs := validation.IsQualifiedName(k); len(msgs) > 0 {
		return fmt.Sprintf("invalid label key %q: %s", k, problems(msgs))
	}
	return ""
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// nameProblem checks an object name: DNS-1123 labels for namespaces and
// external hosts, DNS-1123 subdomains for pods and policies, as the API server does.
func nameProblem(name string, subdomain bool) string {
	if name == "" {
		return "required"
	}
	check := validation.IsDNS1123Label
	if subdomain {
		check = validation.IsDNS1123Subdomain
	}
	if msgs := check(name); len(msgs) > 0 {
		return fmt.Sprintf("invalid name %q: %s", name, problems(msgs))
	}
	return ""
}

// splitKey splits "ns/name"; both parts must be present.
func splitKey(key string) (ns, name string, ok bool) {
	ns, name, found := strings.Cut(key, "/")
	if !found || ns == "" || name == "" || strings.Contains(name, "/") {
		return "", "", false
	}
	return ns, name, true
}

func labelValueProblems(v string) string {
	if msgs := validation.IsValidLabelValue(v); len(msgs) > 0 {
		return problems(msgs)
	}
	return ""
}
