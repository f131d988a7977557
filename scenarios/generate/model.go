package generate

import (
	"fmt"
	"strings"

	"github.com/netpolcheck/netpolcheck/scenarios"
)

// The fixed model's names. Pod addresses come from the deterministic
// allocation, 192.168.<namespace index>.<10 + pod index>.
var (
	modelNamespaces = []string{"x", "y", "z"}
	modelPods       = []string{"a", "b", "c"}
	modelPorts      = []int32{80, 81}
	modelProtocols  = []scenarios.Protocol{scenarios.TCP, scenarios.UDP, scenarios.SCTP}
)

// The external hosts. ext-in lies inside the widest generated ipBlock (the
// /16 around x/a, 192.168.0.0/16) and outside every narrower one; ext-out lies
// outside all of them. Both stay out of 10/8 and 172.17/16, where cluster
// networks and docker bridges live. The pod range is the /20 at the start of
// that /16, because an external host may not sit inside the pod range.
const (
	podCIDR         = "192.168.0.0/20"
	externalInside  = "ext-in"
	externalOutside = "ext-out"
	externalInIP    = "192.168.200.10"
	externalOutIP   = "198.51.100.10"
)

// policyNamespace holds the generated policy; policyName is its name.
const (
	policyNamespace = "x"
	policyName      = "generated"
)

// portName is the name the model gives a port: "serve-80-tcp". Every port is
// named so that named-port rules resolve for every protocol.
func portName(port int32, protocol string) string {
	return fmt.Sprintf("serve-%d-%s", port, strings.ToLower(protocol))
}

// Model returns the one model every generated case runs on. It is a fresh
// value on every call, so cases never share maps.
func Model() scenarios.Model {
	var ports []scenarios.Port
	for _, proto := range modelProtocols {
		for _, n := range modelPorts {
			ports = append(ports, scenarios.Port{Name: portName(n, string(proto)), Port: n, Protocol: proto})
		}
	}
	m := scenarios.Model{
		PodCIDR:      podCIDR,
		DefaultPorts: ports,
		ExternalHosts: []scenarios.ExternalHost{
			{Name: externalInside, IP: externalInIP},
			{Name: externalOutside, IP: externalOutIP},
		},
	}
	for _, ns := range modelNamespaces {
		spec := scenarios.NamespaceSpec{Name: ns, Labels: map[string]string{"ns": ns}}
		for _, pod := range modelPods {
			spec.Pods = append(spec.Pods, scenarios.PodSpec{Name: pod, Labels: map[string]string{"pod": pod}})
		}
		m.Namespaces = append(m.Namespaces, spec)
	}
	return m
}
