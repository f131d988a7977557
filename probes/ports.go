package probes

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// The protocols a probe can speak, spelled as Kubernetes spells them.
const (
	TCP  = "TCP"
	UDP  = "UDP"
	SCTP = "SCTP"
)

// PortSpec is one port a server listens on.
type PortSpec struct {
	Port     int32  `json:"port"`
	Protocol string `json:"protocol"`
}

// String gives the spec as ParsePorts reads it, e.g. "80/TCP".
func (p PortSpec) String() string {
	return strconv.Itoa(int(p.Port)) + "/" + p.Protocol
}

// ParsePorts reads a comma-separated port list such as "80/TCP,81/UDP,82"; a
// port without a protocol is TCP, as in Kubernetes. Protocols are matched
// without regard to case.
func ParsePorts(s string) ([]PortSpec, error) {
	if strings.TrimSpace(s) == "" {
		return nil, errors.New("no ports given")
	}
	var specs []PortSpec
	seen := map[PortSpec]bool{}
	for item := range strings.SplitSeq(s, ",") {
		item = strings.TrimSpace(item)
		spec, err := parsePort(item)
		if err != nil {
			return nil, fmt.Errorf("port %q: %w", item, err)
		}
		if seen[spec] {
			return nil, fmt.Errorf("port %q: listed twice", item)
		}
		seen[spec] = true
		specs = append(specs, spec)
	}
	return specs, nil
}

func parsePort(item string) (PortSpec, error) {
	number, protocol, hasProtocol := strings.Cut(item, "/")
	port, err := strconv.ParseInt(number, 10, 32)
	if err != nil || port < 1 || port > 65535 {
		return PortSpec{}, fmt.Errorf("port number must be 1-65535, not %q", number)
	}
	spec := PortSpec{Port: int32(port), Protocol: TCP}
	if hasProtocol {
		if spec.Protocol, err = normalizeProtocol(protocol); err != nil {
			return PortSpec{}, err
		}
	}
	return spec, nil
}

// normalizeProtocol accepts any case so that a hand-typed "udp" works, and
// returns the Kubernetes spelling that results and logs use.
func normalizeProtocol(p string) (string, error) {
	switch upper := strings.ToUpper(p); upper {
	case TCP, UDP, SCTP:
		return upper, nil
	default:
		return "", fmt.Errorf("protocol must be TCP, UDP or SCTP, not %q", p)
	}
}
