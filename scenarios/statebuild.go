package scenarios

import (
	"fmt"
	"maps"
	"net/netip"
	"slices"
)

func (st *State) addExternalHosts(hosts []ExternalHost) Errors {
	var errs Errors
	for i, h := range hosts {
		at := indexPath("model.externalHosts", i)
		if msg := nameProblem(h.Name, false); msg != "" {
			errs = append(errs, fieldErr(joinPath(at, "name"), msg))
			continue
		}
		if slices.ContainsFunc(st.external, func(e ExternalHost) bool { return e.Name == h.Name }) {
			errs = append(errs, fieldErr(joinPath(at, "name"), fmt.Sprintf("duplicate external host %q", h.Name)))
			continue
		}
		addr, err := netip.ParseAddr(h.IP)
		switch {
		case err != nil || addr.Zone() != "":
			errs = append(errs, fieldErr(joinPath(at, "ip"), fmt.Sprintf("invalid IP %q", h.IP)))
			continue
		case addressProblem(addr, false) != "":
			errs = append(errs, fieldErr(joinPath(at, "ip"), fmt.Sprintf("external host IP %q %s", h.IP, addressProblem(addr, false))))
			continue
		case st.reserved[addr]:
			errs = append(errs, fieldErr(joinPath(at, "ip"), fmt.Sprintf("external host IP %q is pinned as a pod's address", h.IP)))
			continue
		case st.podCIDR.Contains(addr):
			errs = append(errs, fieldErr(joinPath(at, "ip"), fmt.Sprintf("external host IP %q is inside the pod CIDR %s", h.IP, st.podCIDR)))
			continue
		}
		if j := slices.IndexFunc(st.external, func(e ExternalHost) bool { return e.IP == addr.String() }); j >= 0 {
			errs = append(errs, fieldErr(joinPath(at, "ip"), fmt.Sprintf("external host IP %q is already used by %s", h.IP, st.external[j].Name)))
			continue
		}
		ports, perrs := checkPorts(h.Ports, joinPath(at, "ports"))
		if len(perrs) > 0 {
			errs = append(errs, perrs...)
			continue
		}
		if len(ports) == 0 {
			ports = slices.Clone(st.defaultPorts)
		}
		st.external = append(st.external, ExternalHost{Name: h.Name, IP: addr.String(), Ports: ports})
	}
	return errs
}

// namespaceLabels validates a namespace's labels and adds the name label the
// API server would add. A conflicting value is refused rather than silently
// overwritten, since a scenario relying on it would test something else.
func namespaceLabels(name string, labels map[string]string, path string) (map[string]string, Errors) {
	errs := checkLabels(labels, path)
	if v, ok := labels[NamespaceNameLabel]; ok && v != name {
		errs = append(errs, &InputError{Field: path, at: joinPath(path, NamespaceNameLabel),
			Msg: fmt.Sprintf("label %s must equal the namespace name %q", NamespaceNameLabel, name)})
	}
	out := maps.Clone(labels)
	if out == nil {
		out = map[string]string{}
	}
	out[NamespaceNameLabel] = name
	return out, errs
}

// planPod validates a pod spec and makes the pod it declares, with merged
// ports and its pinned or planned address. It does not add it.
func (st *State) planPod(ns string, spec PodSpec, path string) (Pod, Errors) {
	var errs Errors
	if msg := nameProblem(spec.Name, true); msg != "" {
		errs = append(errs, fieldErr(joinPath(path, "name"), msg))
	}
	errs = append(errs, checkLabels(spec.Labels, joinPath(path, "labels"))...)
	own, perrs := checkPorts(spec.Ports, joinPath(path, "ports"))
	errs = append(errs, perrs...)
	ports, msg := mergePorts(st.defaultPorts, own)
	if msg != "" && len(perrs) == 0 {
		errs = append(errs, fieldErr(joinPath(path, "ports"), msg))
	}
	if len(errs) > 0 {
		return Pod{}, errs
	}
	var ip string
	if spec.IP != "" {
		ip, msg = st.checkPinned(spec.IP)
		if msg != "" {
			return Pod{}, Errors{fieldErr(joinPath(path, "ip"), msg)}
		}
	} else {
		ip, msg = st.planAddress(ns)
		if msg != "" {
			return Pod{}, Errors{fieldErr(path, msg)}
		}
	}
	return Pod{Namespace: ns, Name: spec.Name, Labels: maps.Clone(spec.Labels), Ports: ports, IP: ip}, nil
}
