package local

import (
	"fmt"
	"net"
	"slices"

	"github.com/netpolcheck/netpolcheck/scenarios"
)

// checkExternalHost accepts a named external host on a free address.
func (l *ledger) checkExternalHost(h scenarios.ExternalHost) error {
	if h.Name == "" {
		return fmt.Errorf("external host with IP %q has no name", h.IP)
	}
	if slices.ContainsFunc(l.w.ExternalHosts, func(o scenarios.ExternalHost) bool { return o.Name == h.Name }) {
		return fmt.Errorf("external host %q is declared twice", h.Name)
	}
	return l.checkNewIP("external host "+h.Name, h.IP)
}

// check tells whether c can be applied to the recorded state.
func (l *ledger) check(c scenarios.Change) error {
	switch c.Kind {
	case scenarios.AddNamespace, scenarios.RemoveNamespace, scenarios.LabelNamespace:
		if c.Namespace == nil || c.Namespace.Name == "" {
			return fmt.Errorf("%s: no namespace", c.Kind)
		}
		exists := l.namespace(c.Namespace.Name) >= 0
		if c.Kind == scenarios.AddNamespace && exists {
			return fmt.Errorf("%s: namespace %q exists", c.Kind, c.Namespace.Name)
		}
		if c.Kind != scenarios.AddNamespace && !exists {
			return fmt.Errorf("%s: no namespace %q", c.Kind, c.Namespace.Name)
		}
	case scenarios.AddPod, scenarios.RemovePod, scenarios.LabelPod:
		if c.Pod == nil || c.Pod.Name == "" {
			return fmt.Errorf("%s: no pod", c.Kind)
		}
		exists := l.pod(c.Pod.ID()) >= 0
		if c.Kind != scenarios.AddPod {
			if !exists {
				return fmt.Errorf("%s: no pod %q", c.Kind, c.Pod.ID())
			}
			return nil
		}
		if exists {
			return fmt.Errorf("%s: pod %q exists", c.Kind, c.Pod.ID())
		}
		if l.namespace(c.Pod.Namespace) < 0 {
			return fmt.Errorf("%s: pod %q is in no known namespace", c.Kind, c.Pod.ID())
		}
		if slices.ContainsFunc(l.w.ExternalHosts, func(h scenarios.ExternalHost) bool { return h.Name == c.Pod.ID() }) {
			return fmt.Errorf("%s: pod %q has an external host's name", c.Kind, c.Pod.ID())
		}
		return l.checkNewIP("pod "+c.Pod.ID(), c.Pod.IP)
	case scenarios.ApplyPolicy:
		if c.Policy == nil || c.Policy.Name == "" {
			return fmt.Errorf("%s: no policy", c.Kind)
		}
		if l.namespace(c.Policy.Namespace) < 0 {
			return fmt.Errorf("%s: policy %s/%s is in no known namespace", c.Kind, c.Policy.Namespace, c.Policy.Name)
		}
	case scenarios.DeletePolicy:
		if l.policy(c.PolicyKey) < 0 {
			return fmt.Errorf("%s: no policy %q", c.Kind, c.PolicyKey)
		}
	case scenarios.ApplyClusterPolicy:
		if c.ClusterPolicy == nil || c.ClusterPolicy.Name == "" {
			return fmt.Errorf("%s: no cluster policy", c.Kind)
		}
	case scenarios.DeleteClusterPolicy:
		if l.clusterPolicy(c.PolicyKey) < 0 {
			return fmt.Errorf("%s: no cluster policy %q", c.Kind, c.PolicyKey)
		}
	default:
		return fmt.Errorf("unknown change kind %q", c.Kind)
	}
	return nil
}

// checkNewIP accepts an IPv4 address no pod or external host holds yet: the
// node routes each address to exactly one veth.
func (l *ledger) checkNewIP(who, ip string) error {
	if _, err := parseIPv4(ip); err != nil {
		return fmt.Errorf("%s: %w", who, err)
	}
	for _, p := range l.w.Pods {
		if p.IP == ip {
			return fmt.Errorf("%s: IP %s is taken by pod %s", who, ip, p.ID())
		}
	}
	for _, h := range l.w.ExternalHosts {
		if h.IP == ip {
			return fmt.Errorf("%s: IP %s is taken by external host %s", who, ip, h.Name)
		}
	}
	return nil
}

// parseIPv4 accepts a dotted IPv4 address only: the ptp wiring is IPv4.
func parseIPv4(s string) (net.IP, error) {
	ip := net.ParseIP(s)
	if ip == nil {
		return nil, fmt.Errorf("IP %q is not an address", s)
	}
	if ip.To4() == nil {
		return nil, fmt.Errorf("IP %s is not IPv4", s)
	}
	return ip.To4(), nil
}
