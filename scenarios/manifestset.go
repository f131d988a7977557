package scenarios

import (
	"fmt"
	"net/netip"
	"slices"

	yaml "go.yaml.in/yaml/v3"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
)

// manifestSet gathers decoded manifests before they become a scenario.
type manifestSet struct {
	namespaces      []NamespaceSpec
	declared        map[string]bool
	sources         *sourceMap
	pods            []decoded[corev1.Pod]
	policies        []decoded[networkingv1.NetworkPolicy]
	clusterPolicies []decoded[*ClusterPolicy]
	errs            Errors
	// podNames holds "ns/pod" of every pod added, for the duplicate check.
	podNames map[string]bool
	// skipped says which pods were left out of the model, and why.
	skipped []string
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
	if kind == "List" && apiVersion == "v1" {
		// What `kubectl get pods,ns,netpol -A -o yaml` writes: the objects
		// are its items, each read as if it were a document of its own.
		items, ok := mappingNode(d.root, "items")
		if ok && items.Kind == yaml.SequenceNode {
			for _, item := range items.Content {
				if item.Kind != yaml.MappingNode || !isManifest(item) {
					m.errs = append(m.errs, &InputError{File: d.file, Line: item.Line, Field: "items", Msg: "not a Kubernetes object: apiVersion and kind are required"})
					continue
				}
				m.add(manifestDoc{file: d.file, root: item})
			}
		} else if ok && !isNull(items) {
			m.fail(d.file, lines, "items", "must be a list of objects")
		}
		return
	}
	if _, cluster := clusterPolicyAPIVersions[kind]; cluster {
		m.addClusterPolicy(d)
		return
	}
	want, known := manifestKinds[kind]
	switch {
	case !known:
		m.fail(d.file, lines, "kind", fmt.Sprintf("unsupported kind %q: want Namespace, Pod, NetworkPolicy, ClusterNetworkPolicy, AdminNetworkPolicy, BaselineAdminNetworkPolicy or a v1 List of them", kind))
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
	if m.podNames[ns+"/"+pod.Name] {
		m.fail(d.file, d.lines, "metadata.name", fmt.Sprintf("duplicate Pod %q", ns+"/"+pod.Name))
		return
	}
	m.podNames[ns+"/"+pod.Name] = true
	if len(pod.Spec.Containers) == 0 {
		m.fail(d.file, d.lines, "spec.containers", "required: a Pod has at least one container, as the API server requires")
		return
	}
	ip := pod.Status.PodIP
	for k, podIP := range pod.Status.PodIPs {
		if addr, err := netip.ParseAddr(podIP.IP); err == nil && addr.Is6() && !addr.Is4In6() {
			m.fail(d.file, d.lines, indexPath("status.podIPs", k), fmt.Sprintf("pod IP %q is IPv6: IPv6 and dual-stack pods are not supported yet", podIP.IP))
			return
		}
		if ip == "" {
			ip = podIP.IP
		}
	}
	if pod.Spec.HostNetwork {
		// Its traffic is the node's: no NetworkPolicy selects it or governs it.
		m.skipped = append(m.skipped, fmt.Sprintf("hostNetwork pod %s (%s): NetworkPolicy does not govern host-network pods, so its cells are not tested", ns+"/"+pod.Name, d.file))
		return
	}
	k := len(m.namespaces[i].Pods)
	prefix := indexPath(joinPath(indexPath("model.namespaces", i), "pods"), k)
	m.sources.add(prefix, d.file, "", d.lines)
	m.sources.add(joinPath(prefix, "name"), d.file, "metadata.name", d.lines)
	m.sources.add(joinPath(prefix, "labels"), d.file, "metadata.labels", d.lines)
	m.sources.add(joinPath(prefix, "ip"), d.file, "status.podIP", d.lines)
	m.sources.add(joinPath(prefix, "ports"), d.file, "spec.containers", d.lines)
	spec := PodSpec{Name: pod.Name, Labels: pod.Labels, IP: ip}
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

// addClusterPolicy decodes a cluster policy manifest; the step applies it
// after the NetworkPolicies.
func (m *manifestSet) addClusterPolicy(d manifestDoc) {
	nodeErrs := checkClusterPolicyNode(d.root, "")
	for _, e := range nodeErrs {
		e.File = d.file
	}
	m.errs = append(m.errs, nodeErrs...)
	var p ClusterPolicy
	if lines, ok := m.decode(d, &p); ok && len(nodeErrs) == 0 {
		if slices.ContainsFunc(m.clusterPolicies, func(q decoded[*ClusterPolicy]) bool { return q.obj.Key() == p.Key() }) {
			m.fail(d.file, lines, "metadata.name", fmt.Sprintf("duplicate %s %q", p.Kind(), p.Name()))
			return
		}
		m.clusterPolicies = append(m.clusterPolicies, decoded[*ClusterPolicy]{obj: &p, file: d.file, lines: lines})
	}
}

func (m *manifestSet) addClusterPolicyAction(s *Scenario, d decoded[*ClusterPolicy]) {
	actions := s.Steps[0].Actions
	m.sources.add(joinPath(indexPath("steps[0].actions", len(actions)), "apply"), d.file, "", d.lines)
	s.Steps[0].Actions = append(actions, Action{ApplyCluster: d.obj})
}
