package generate

import (
	"strings"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// The port ranges of the end-port form. The first admits 81 and not 80; the
// update moves it to admit 80 and not 81, so each step has one port in and
// one out. Both stay inside the API's rule that endPort >= port.
const (
	rangeStart, rangeEnd               int32 = 81, 90
	updatedRangeStart, updatedRangeEnd int32 = 70, 80
)

// firstPorts is the ports list of a case's first policy; nil admits every port
// of every protocol.
func firstPorts(form, protocol string) []networkingv1.NetworkPolicyPort {
	switch form {
	case PortNumeric:
		return []networkingv1.NetworkPolicyPort{numericPort(protocol, 80)}
	case PortNamed:
		return []networkingv1.NetworkPolicyPort{namedPort(protocol, 80)}
	case PortEndPort:
		return []networkingv1.NetworkPolicyPort{portRange(protocol, rangeStart, rangeEnd)}
	case PortSeveral:
		// Mixing a number and a name in one list catches enforcers that
		// resolve only one form per rule.
		return []networkingv1.NetworkPolicyPort{numericPort(protocol, 80), namedPort(protocol, 81)}
	}
	return nil
}

// updatedPorts is the ports list after an update step: every form changes
// which port it admits, and a rule without ports gains one.
func updatedPorts(form, protocol string) []networkingv1.NetworkPolicyPort {
	switch form {
	case PortNamed:
		return []networkingv1.NetworkPolicyPort{namedPort(protocol, 81)}
	case PortEndPort:
		return []networkingv1.NetworkPolicyPort{portRange(protocol, updatedRangeStart, updatedRangeEnd)}
	case PortSeveral:
		return []networkingv1.NetworkPolicyPort{numericPort(protocol, 80)}
	}
	return []networkingv1.NetworkPolicyPort{numericPort(protocol, 81)}
}

// apiProtocol turns a protocol value of the dimension into the API's constant.
func apiProtocol(protocol string) *corev1.Protocol {
	p := corev1.Protocol(strings.ToUpper(protocol))
	return &p
}

func numericPort(protocol string, n int32) networkingv1.NetworkPolicyPort {
	port := intstr.FromInt32(n)
	return networkingv1.NetworkPolicyPort{Protocol: apiProtocol(protocol), Port: &port}
}

func namedPort(protocol string, n int32) networkingv1.NetworkPolicyPort {
	port := intstr.FromString(portName(n, protocol))
	return networkingv1.NetworkPolicyPort{Protocol: apiProtocol(protocol), Port: &port}
}

func portRange(protocol string, start, end int32) networkingv1.NetworkPolicyPort {
	p := numericPort(protocol, start)
	p.EndPort = &end
	return p
}
