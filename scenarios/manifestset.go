package scenarios

import (
	"fmt"
	"slices"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
)

// manifestSet gathers decoded manifests before they become a scenario.
type manifestSet struct {
	namespaces []NamespaceSpec
	declared   map[string]bool
	sources    *sourceMap
	pods       []decoded[corev1.Pod]
	policies   []decoded[networkingv1.NetworkPolicy]
	errs       Errors
}

// decoded is a manifest object with where it came from.
type decoded[T any] struct {
	obj   T
	file  string
	lines map[string]int
}

func (m *manifestSet) fail(file string, lines map[string]int, field, msg string) {
	m.errs = append(m.errs, &InputError{File: file, Line: lineOf(lines, field), Field: field, Msg: msg})
}

func (m *manifestSet) add(d manifestDoc) {
	apiVersion, _ := mappingValue(d.root, "apiVersion")
	kind, _ := mappingValue(d.root, "kind")
	lines := map[string]int{"": d.root.Line}
	for i := 0; i+1 < len(d.root.Content); i += 2 {
		lines[d.root.Content[i].Value] = d.root.Content[i].Line
	}
	want, known := manifestKinds[kind]
	switch {
	case !known:
		m.fail(d.file, lines, "kind", fmt.Sprintf("unsupported kind %q: want Namespace, Pod or NetworkPolicy", kind))
		return
	case apiVersion != want:
		m.fail(d.file, lines, "apiVersion", fmt.Sprintf("unsupported apiVersion %q for %s: want %s", apiVersion, kind, want))
		return
	}
	switch kind {
	case "Namespace":
		var ns corev1.Namespace
		if lines, ok := m.decode(d, &ns); ok {
			m.addNamespace(ns, d.file, lines)
		}
	case "Pod":
		var pod corev1.Pod
		if lines, ok := m.decode(d, &pod); ok {
			m.pods = append(m.pods, decoded[corev1.Pod]{obj: pod, file: d.file, lines: lines})
		}
	default:
		var p networkingv1.NetworkPolicy
		if lines, ok := m.decode(d, &p); ok {
			m.policies = append(m.policies, decoded[networkingv1.NetworkPolicy]{obj: p, file: d.file, lines: lines})
		}
	}
}

func (m *manifestSet) decode(d manifestDoc, out any) (map[string]int, bool) {
	lines, errs := decodeNode(d.root, out)
	for _, e := range errs {
		e.File = d.file
	}
	m.errs = append(m.errs, errs...)
	return lines, len(errs) == 0
}

func (m *manifestSet) addNamespace(ns corev1.Namespace, file string, lines map[string]int) {
	name := ns.Name
	if msg := nameProblem(name, false); msg != "" {
		m.fail(file, lines, "metadata.name", msg)
		return
	}
	if m.declared[name] {
		m.fail(file, lines, "metadata.name", fmt.Sprintf("duplicate Namespace %q", name))
		return
	}
	m.declared[name] = true
	// "default" exists implicitly and keeps its first place; a manifest for it only adds labels.
	i := slices.IndexFunc(m.namespaces, func(n NamespaceSpec) bool { return n.Name == name })
	if i < 0 {
		i = len(m.namespaces)
		m.namespaces = append(m.namespaces, NamespaceSpec{Name: name})
	}
	m.namespaces[i].Labels = ns.Labels
	prefix := indexPath("model.namespaces", i)
	m.sources.add(prefix, file, "", lines)
	m.sources.add(joinPath(prefix, "name"), file, "metadata.name", lines)
	m.sources.add(joinPath(prefix, "labels"), file, "metadata.labels", lines)
}

// addPod makes a PodSpec of a Pod: its containers' ports and its status.podIP.
func (m *manifestSet) addPod(d decoded[corev1.Pod]) {
	pod := d.obj
	ns := pod.Namespace
	if ns == "" {
		ns = "default"
	}
	i := slices.IndexFunc(m.namespaces, func(n NamespaceSpec) bool { return n.Name == ns })
	if i < 0 {
		m.fail(d.file, d.lines, "metadata.namespace", fmt.Sprintf("namespace %q does not exist", ns))
		return
	}
	if slices.ContainsFunc(m.namespaces[i].Pods, func(p PodSpec) bool { return p.Name == pod.Name }) {
		m.fail(d.file, d.lines, "metadata.name", fmt.Sprintf("duplicate Pod %q", ns+"/"+pod.Name))
		return
	}
	k := len(m.namespaces[i].Pods)
	prefix := indexPath(joinPath(indexPath("model.namespaces", i), "pods"), k)
	m.sources.add(prefix, d.file, "", d.lines)
	m.sources.add(joinPath(prefix, "name"), d.file, "metadata.name", d.lines)
	m.sources.add(joinPath(prefix, "labels"), d.file, "metadata.labels", d.lines)
	m.sources.add(joinPath(prefix, "ip"), d.file, "status.podIP", d.lines)
	m.sources.add(joinPath(prefix, "ports"), d.file, "spec.containers", d.lines)
	spec := PodSpec{Name: pod.Name, Labels: pod.Labels, IP: pod.Status.PodIP}
	for c, container := range pod.Spec.Containers {
		for q, port := range container.Ports {
			at := indexPath(joinPath(prefix, "ports"), len(spec.Ports))
			from := indexPath(joinPath(indexPath("spec.containers", c), "ports"), q)
			m.sources.add(at, d.file, from, d.lines)
			m.sources.add(joinPath(at, "port"), d.file, joinPath(from, "containerPort"), d.lines)
			proto := Protocol(port.Protocol)
			if proto == "" {
				proto = TCP
			}
			spec.Ports = append(spec.Ports, Port{Name: port.Name, Port: port.ContainerPort, Protocol: proto})
		}
	}
	m.namespaces[i].Pods = append(m.namespaces[i].Pods, spec)
}

func (m *manifestSet) addPolicy(s *Scenario, d decoded[networkingv1.NetworkPolicy]) {
	p := d.obj
	if p.Namespace == "" {
		p.Namespace = "default"
	}
	actions := s.Steps[0].Actions
	if slices.ContainsFunc(actions, func(a Action) bool { return a.Apply.Namespace == p.Namespace && a.Apply.Name == p.Name }) {
		m.fail(d.file, d.lines, "metadata.name", fmt.Sprintf("duplicate NetworkPolicy %q", p.Namespace+"/"+p.Name))
		return
	}
	m.sources.add(joinPath(indexPath("steps[0].actions", len(actions)), "apply"), d.file, "", d.lines)
	s.Steps[0].Actions = append(actions, Action{Apply: &p})
}
