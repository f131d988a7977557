package scenarios

import (
	"fmt"
	"slices"

	"k8s.io/apimachinery/pkg/util/validation"
)

// parseProtocol accepts the NetworkPolicy protocols; empty means TCP.
func parseProtocol(p string) (Protocol, string) {
	switch Protocol(p) {
	case "":
		return TCP, ""
	case TCP, UDP, SCTP:
		return Protocol(p), ""
	}
	return "", fmt.Sprintf("unknown protocol %q: must be TCP, UDP or SCTP", p)
}

func portNumberProblem(n int64) string {
	if n < 1 || n > 65535 {
		return fmt.Sprintf("port %d is out of range 1-65535", n)
	}
	return ""
}

func portNameProblem(name string) string {
	if msgs := validation.IsValidPortName(name); len(msgs) > 0 {
		return fmt.Sprintf("invalid port name %q: %s", name, problems(msgs))
	}
	return ""
}

// checkPorts validates served ports and returns them with protocols defaulted.
func checkPorts(ports []Port, path string) ([]Port, Errors) {
	var errs Errors
	out := make([]Port, 0, len(ports))
	for i, p := range ports {
		at := indexPath(path, i)
		proto, msg := parseProtocol(string(p.Protocol))
		if msg != "" {
			errs = append(errs, fieldErr(joinPath(at, "protocol"), msg))
			continue
		}
		if msg := portNumberProblem(int64(p.Port)); msg != "" {
			errs = append(errs, fieldErr(joinPath(at, "port"), msg))
			continue
		}
		if p.Name != "" {
			if msg := portNameProblem(p.Name); msg != "" {
				errs = append(errs, fieldErr(joinPath(at, "name"), msg))
				continue
			}
		}
		p.Protocol = proto
		if j := slices.IndexFunc(out, func(q Port) bool { return q.Port == p.Port && q.Protocol == p.Protocol }); j >= 0 {
			errs = append(errs, fieldErr(at, fmt.Sprintf("duplicate port %s", p)))
			continue
		}
		if p.Name != "" && slices.ContainsFunc(out, func(q Port) bool { return q.Name == p.Name }) {
			errs = append(errs, fieldErr(joinPath(at, "name"), fmt.Sprintf("duplicate port name %q", p.Name)))
			continue
		}
		out = append(out, p)
	}
	return out, errs
}

// mergePorts adds a pod's own ports to the default ports; an own port with the
// number and protocol of a default one replaces it, so a pod can name it.
func mergePorts(defaults, own []Port) ([]Port, string) {
	out := slices.Clone(defaults)
	for _, p := range own {
		if i := slices.IndexFunc(out, func(q Port) bool { return q.Port == p.Port && q.Protocol == p.Protocol }); i >= 0 {
			out[i] = p
			continue
		}
		out = append(out, p)
	}
	for i, p := range out {
		for _, q := range out[i+1:] {
			if p.Name != "" && p.Name == q.Name {
				return nil, fmt.Sprintf("port name %q is used by both %s and %s", p.Name, p, q)
			}
		}
	}
	return out, ""
}
