package scenarios

import (
	"fmt"
	"strconv"
	"strings"

	"k8s.io/apimachinery/pkg/util/validation"
)

// onMatcher is a compiled On: which ports of a destination a rule covers.
type onMatcher struct {
	any      bool
	protocol Protocol // set for "*/UDP" and "80/TCP"
	port     int32    // set for "80/TCP"
	name     string   // set for a named port
}

// parseOn reads "80/TCP", "80", "*/UDP", a port name, or "" (or "*") for every port.
func parseOn(s string) (onMatcher, string) {
	s = strings.TrimSpace(s)
	if s == "" || s == "*" {
		return onMatcher{any: true}, ""
	}
	number, proto, hasProto := strings.Cut(s, "/")
	protocol := TCP
	if hasProto {
		p, msg := parseProtocol(strings.ToUpper(proto))
		if msg != "" || proto == "" {
			return onMatcher{}, fmt.Sprintf("invalid port %q: unknown protocol %q: must be TCP, UDP or SCTP", s, proto)
		}
		protocol = p
		if number == "*" {
			return onMatcher{protocol: protocol}, ""
		}
	}
	if n, err := strconv.ParseInt(number, 10, 64); err == nil {
		if msg := portNumberProblem(n); msg != "" {
			return onMatcher{}, fmt.Sprintf("invalid port %q: %s", s, msg)
		}
		return onMatcher{protocol: protocol, port: int32(n)}, ""
	}
	if hasProto {
		return onMatcher{}, fmt.Sprintf("invalid port %q: want a number or * before the protocol", s)
	}
	if msgs := validation.IsValidPortName(s); len(msgs) > 0 {
		return onMatcher{}, fmt.Sprintf("invalid port %q: neither a number nor a port name: %s", s, problems(msgs))
	}
	return onMatcher{name: s}, ""
}

// matches tells whether the rule covers port of destination to. A named port
// matches by the name the caller gives or, failing that, by the
// destination's own port of that number and protocol.
func (m onMatcher) matches(to *endpoint, port Port) bool {
	switch {
	case m.any:
		return true
	case m.name != "":
		if port.Name == m.name {
			return true
		}
		if to == nil {
			return false
		}
		for _, p := range to.ports {
			if p.Name == m.name && p.Port == port.Port && p.Protocol == port.Protocol {
				return true
			}
		}
		return false
	case m.port != 0:
		return port.Port == m.port && port.Protocol == m.protocol
	default:
		return port.Protocol == m.protocol
	}
}
