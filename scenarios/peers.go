package scenarios

import (
	"fmt"
	"path"
	"strings"
)

// endpoint is a pod or an external host as expectations see it.
type endpoint struct {
	name     string // "ns/pod" or the external host's name
	pod      bool
	ns       string
	podName  string
	labels   map[string]string
	nsLabels map[string]string
	ports    []Port
}

// endpointsOf lists the world's pods and external hosts.
func endpointsOf(w *World) []endpoint {
	nsLabels := map[string]map[string]string{}
	for _, ns := range w.Namespaces {
		nsLabels[ns.Name] = ns.Labels
	}
	var out []endpoint
	for _, p := range w.Pods {
		out = append(out, endpoint{name: p.ID(), pod: true, ns: p.Namespace, podName: p.Name,
			labels: p.Labels, nsLabels: nsLabels[p.Namespace], ports: p.Ports})
	}
	for _, h := range w.ExternalHosts {
		out = append(out, endpoint{name: h.Name, ports: h.Ports})
	}
	return out
}

const peerSyntax = "want *, ns/pod, ns:NAME, pod:k=v, nsl:k=v or ext:NAME"

// parsePeer compiles a peer expression (see ExpectRule) against a world.
// Literal names must exist there, so that a typo is an error rather than a
// rule that silently matches nothing.
func parsePeer(expr string, w *World) (func(endpoint) bool, string) {
	expr = strings.TrimSpace(expr)
	switch {
	case expr == "":
		return nil, "required: " + peerSyntax
	case expr == "*":
		return func(endpoint) bool { return true }, ""
	case strings.HasPrefix(expr, "ext:"):
		pattern := strings.TrimPrefix(expr, "ext:")
		if msg := globProblem(pattern, expr); msg != "" {
			return nil, msg
		}
		if !isGlob(pattern) && !hasExternal(w, pattern) {
			return nil, fmt.Sprintf("external host %q does not exist", pattern)
		}
		return func(e endpoint) bool { return !e.pod && globMatch(pattern, e.name) }, ""
	case strings.HasPrefix(expr, "ns:"):
		name := strings.TrimPrefix(expr, "ns:")
		if !hasNamespace(w, name) {
			return nil, fmt.Sprintf("namespace %q does not exist", name)
		}
		return func(e endpoint) bool { return e.pod && e.ns == name }, ""
	case strings.HasPrefix(expr, "pod:"), strings.HasPrefix(expr, "nsl:"):
		want, msg := parseLabelPairs(expr[4:], expr)
		if msg != "" {
			return nil, msg
		}
		onNamespace := strings.HasPrefix(expr, "nsl:")
		return func(e endpoint) bool {
			if !e.pod {
				return false
			}
			have := e.labels
			if onNamespace {
				have = e.nsLabels
			}
			for k, v := range want {
				if got, ok := have[k]; !ok || got != v {
					return false
				}
			}
			return true
		}, ""
	case strings.Contains(expr, "/"):
		nsPattern, podPattern, _ := strings.Cut(expr, "/")
		for _, p := range []string{nsPattern, podPattern} {
			if msg := globProblem(p, expr); msg != "" {
				return nil, msg
			}
		}
		if !isGlob(nsPattern) && !hasNamespace(w, nsPattern) {
			return nil, fmt.Sprintf("namespace %q does not exist", nsPattern)
		}
		if !isGlob(nsPattern) && !isGlob(podPattern) && !hasPod(w, expr) {
			return nil, fmt.Sprintf("pod %q does not exist", expr)
		}
		return func(e endpoint) bool {
			return e.pod && globMatch(nsPattern, e.ns) && globMatch(podPattern, e.podName)
		}, ""
	}
	return nil, fmt.Sprintf("invalid peer %q: %s", expr, peerSyntax)
}

// parseLabelPairs reads "k=v,k2=v2".
func parseLabelPairs(text, expr string) (map[string]string, string) {
	out := map[string]string{}
	for pair := range strings.SplitSeq(text, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(pair), "=")
		if !ok || k == "" {
			return nil, fmt.Sprintf("invalid peer %q: want key=value pairs separated by commas", expr)
		}
		if msg := labelKeyProblem(k); msg != "" {
			return nil, fmt.Sprintf("invalid peer %q: %s", expr, msg)
		}
		if msg := labelValueProblems(v); msg != "" {
			return nil, fmt.Sprintf("invalid peer %q: invalid label value %q: %s", expr, v, msg)
		}
		out[k] = v
	}
	return out, ""
}

func isGlob(s string) bool { return strings.ContainsAny(s, `*?[\`) }

// globProblem checks a path.Match pattern; an empty side is refused too.
func globProblem(pattern, expr string) string {
	if pattern == "" {
		return fmt.Sprintf("invalid peer %q: empty name", expr)
	}
	if _, err := path.Match(pattern, ""); err != nil {
		return fmt.Sprintf("invalid peer %q: bad pattern %q", expr, pattern)
	}
	return ""
}

func globMatch(pattern, name string) bool {
	ok, err := path.Match(pattern, name)
	return err == nil && ok
}

func hasNamespace(w *World, name string) bool {
	for _, ns := range w.Namespaces {
		if ns.Name == name {
			return true
		}
	}
	return false
}

func hasPod(w *World, id string) bool {
	for _, p := range w.Pods {
		if p.ID() == id {
			return true
		}
	}
	return false
}

func hasExternal(w *World, name string) bool {
	for _, h := range w.ExternalHosts {
		if h.Name == name {
			return true
		}
	}
	return false
}
