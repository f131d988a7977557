package scenarios

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"

	networkingv1 "k8s.io/api/networking/v1"
)

// ExpandPlaceholders expands {{ podIP "ns/pod" }} and {{ cidr "ns/pod" N }} in ipBlock cidr/except strings; other fields are left alone.
// podIP gives the bare address (write '{{ podIP "y/b" }}/32'); cidr gives the
// network of the pod's address with prefix length N ("192.168.1.0/24"). The
// input is not modified. Error fields are relative to the policy ("spec.ingress[0]...").
func ExpandPlaceholders(p *networkingv1.NetworkPolicy, ipOf func(pod string) (string, bool)) (*networkingv1.NetworkPolicy, error) {
	if p == nil {
		return nil, Errors{fieldErr("", "no policy given")}
	}
	out := p.DeepCopy()
	var errs Errors
	expandPeers := func(peers []networkingv1.NetworkPolicyPeer, path string) {
		for i := range peers {
			b := peers[i].IPBlock
			if b == nil {
				continue
			}
			at := joinPath(indexPath(path, i), "ipBlock")
			var msg string
			if b.CIDR, msg = expandString(b.CIDR, ipOf); msg != "" {
				errs = append(errs, fieldErr(joinPath(at, "cidr"), msg))
			}
			for j := range b.Except {
				if b.Except[j], msg = expandString(b.Except[j], ipOf); msg != "" {
					errs = append(errs, fieldErr(indexPath(joinPath(at, "except"), j), msg))
				}
			}
		}
	}
	for i := range out.Spec.Ingress {
		expandPeers(out.Spec.Ingress[i].From, joinPath(indexPath("spec.ingress", i), "from"))
	}
	for i := range out.Spec.Egress {
		expandPeers(out.Spec.Egress[i].To, joinPath(indexPath("spec.egress", i), "to"))
	}
	if len(errs) > 0 {
		return nil, errs
	}
	return out, nil
}

// expandString replaces every {{ ... }} in s; the message says what is wrong.
func expandString(s string, ipOf func(string) (string, bool)) (string, string) {
	var b strings.Builder
	rest := s
	for {
		start := strings.Index(rest, "{{")
		if start < 0 {
			b.WriteString(rest)
			return b.String(), ""
		}
		end := strings.Index(rest[start:], "}}")
		if end < 0 {
			return "", fmt.Sprintf("unclosed placeholder in %q", s)
		}
		inner := rest[start+2 : start+end]
		value, msg := expandOne(strings.Fields(inner), ipOf)
		if msg != "" {
			return "", fmt.Sprintf("placeholder {{%s}}: %s", inner, msg)
		}
		b.WriteString(rest[:start])
		b.WriteString(value)
		rest = rest[start+end+2:]
	}
}

func expandOne(words []string, ipOf func(string) (string, bool)) (string, string) {
	if len(words) == 0 {
		return "", `empty: want podIP "ns/pod" or cidr "ns/pod" N`
	}
	want := map[string]int{"podIP": 2, "cidr": 3}[words[0]]
	if want == 0 {
		return "", fmt.Sprintf(`unknown function %q: want podIP or cidr`, words[0])
	}
	if len(words) != want {
		return "", fmt.Sprintf(`%s takes %d argument(s), got %d`, words[0], want-1, len(words)-1)
	}
	pod, err := strconv.Unquote(words[1])
	if err != nil || !strings.HasPrefix(words[1], `"`) {
		return "", fmt.Sprintf(`pod must be a double-quoted "ns/pod", not %s`, words[1])
	}
	ip, ok := ipOf(pod)
	if !ok {
		return "", fmt.Sprintf("pod %q does not exist", pod)
	}
	addr, err := netip.ParseAddr(ip)
	if err != nil {
		return "", fmt.Sprintf("pod %q has no valid address (%q)", pod, ip)
	}
	if words[0] == "podIP" {
		return addr.String(), ""
	}
	bits, err := strconv.Atoi(words[2])
	if err != nil || bits < 0 || bits > addr.BitLen() {
		return "", fmt.Sprintf("prefix length %s is out of range 0-%d", words[2], addr.BitLen())
	}
	return netip.PrefixFrom(addr, bits).Masked().String(), ""
}
