package compile

import (
	"fmt"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// namedPort is a port a rule names rather than numbers; it means whatever
// container port of the destination pod has that name and protocol.
type namedPort struct {
	name     string
	protocol Protocol
}

// rulePorts is a rule's ports list: numeric ports and ranges, named ports
// still to resolve, or (for an empty list) every protocol and port.
type rulePorts struct {
	numeric portSet
	named   []namedPort
}

func parsePorts(ports []networkingv1.NetworkPolicyPort) (rulePorts, error) {
	if len(ports) == 0 {
		return rulePorts{numeric: anyPort()}, nil
	}
	var out rulePorts
	for i, p := range ports {
		protocol, err := parseProtocol(p.Protocol)
		if err != nil {
			return rulePorts{}, fmt.Errorf("port %d: %w", i, err)
		}
		if p.Port == nil {
			if p.EndPort != nil {
				return rulePorts{}, fmt.Errorf("port %d: endPort without port", i)
			}
			out.numeric.add(protocol, 0, 65535)
			continue
		}
		if p.Port.Type == intstr.String {
			if p.EndPort != nil {
				return rulePorts{}, fmt.Errorf("port %d: endPort with named port %q", i, p.Port.StrVal)
			}
			out.named = append(out.named, namedPort{name: p.Port.StrVal, protocol: protocol})
			continue
		}
		lo := p.Port.IntVal
		hi := lo
		if p.EndPort != nil {
			hi = *p.EndPort
		}
		if lo < 1 || lo > 65535 || hi < lo || hi > 65535 {
			return rulePorts{}, fmt.Errorf("port %d: range %d-%d outside 1-65535", i, lo, hi)
		}
		out.numeric.add(protocol, uint16(lo), uint16(hi))
	}
	return out, nil
}

func parseProtocol(p *corev1.Protocol) (Protocol, error) {
	if p == nil {
		return TCP, nil
	}
	switch *p {
	case corev1.ProtocolTCP:
		return TCP, nil
	case corev1.ProtocolUDP:
		return UDP, nil
	case corev1.ProtocolSCTP:
		return SCTP, nil
	}
	return 0, fmt.Errorf("unknown protocol %q", *p)
}

// resolve is the set of ports the named ports mean on the destination pod.
// A name the pod does not serve with that protocol admits nothing.
func resolve(named []namedPort, destination *pod) portSet {
	var out portSet
	for _, n := range named {
		for _, cp := range destination.ports {
			protocol, err := parseProtocol(&cp.Protocol)
			if cp.Protocol == "" {
				protocol, err = TCP, nil
			}
			if err != nil || cp.Name != n.name || protocol != n.protocol {
				continue
			}
			if cp.ContainerPort >= 1 && cp.ContainerPort <= 65535 {
				out.add(protocol, uint16(cp.ContainerPort), uint16(cp.ContainerPort))
			}
		}
	}
	return out
}
