package scenarios

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"

	networkingv1 "k8s.io/api/networking/v1"
)

// parseCIDR parses an ipBlock CIDR, which must carry a prefix length. Host
// bits may be set, as the API server has always accepted.
func parseCIDR(s string) (netip.Prefix, string) {
	if s == "" {
		return netip.Prefix{}, "required"
	}
	addrText, bitsText, found := strings.Cut(s, "/")
	if !found {
		return netip.Prefix{}, fmt.Sprintf("invalid CIDR %q: no prefix length", s)
	}
	addr, err := netip.ParseAddr(addrText)
	if err != nil || addr.Zone() != "" {
		return netip.Prefix{}, fmt.Sprintf("invalid CIDR %q: bad address %q", s, addrText)
	}
	bits, err := strconv.Atoi(bitsText)
	if err != nil || bits < 0 || bits > addr.BitLen() || strconv.Itoa(bits) != bitsText {
		return netip.Prefix{}, fmt.Sprintf("invalid CIDR %q: bad prefix length %q", s, bitsText)
	}
	return netip.PrefixFrom(addr, bits), ""
}

// strictlyInside tells whether inner is a proper subset of outer.
func strictlyInside(inner, outer netip.Prefix) bool {
	return inner.Addr().Is4() == outer.Addr().Is4() &&
		inner.Bits() > outer.Bits() &&
		outer.Masked().Contains(inner.Addr())
}

// legacyIPv4CIDR reads an IPv4 CIDR whose address has leading zeros, such as
// "192.168.001.0/24", the way Kubernetes 1.34 still does (each part decimal,
// with a warning), and returns its canonical form. ok is false for anything
// else, including a CIDR that is already canonical.
func legacyIPv4CIDR(s string) (string, bool) {
	addrText, bits, found := strings.Cut(s, "/")
	parts := strings.Split(addrText, ".")
	if !found || len(parts) != 4 {
		return "", false
	}
	var b [4]byte
	zeros := false
	for i, p := range parts {
		if p == "" || len(p) > 3 || strings.Trim(p, "0123456789") != "" {
			return "", false
		}
		n, _ := strconv.Atoi(p)
		if n > 255 {
			return "", false
		}
		zeros = zeros || (len(p) > 1 && p[0] == '0')
		b[i] = byte(n)
	}
	if !zeros {
		return "", false
	}
	out := netip.AddrFrom4(b).String() + "/" + bits
	if _, msg := parseCIDR(out); msg != "" {
		return "", false
	}
	return out, true
}

// normalizeLegacyCIDRs rewrites every ipBlock cidr and except of the
// scenario's policies that has leading zeros into its canonical form, and
// returns a warning for each, as the API server warns and accepts them. It
// also notes IPv6 CIDRs, which are valid but match nothing in an IPv4 world.
func normalizeLegacyCIDRs(s *Scenario) Errors {
	var warnings Errors
	fix := func(v *string, path string) {
		if p, msg := parseCIDR(*v); msg == "" && p.Addr().Is6() && !p.Addr().Is4In6() {
			// Valid API, and common in dual-stack clusters' policies.
			warnings = append(warnings, fieldErr(path, fmt.Sprintf(
				"note: IPv6 CIDR %q matches nothing here: netpolcheck's worlds are IPv4 only", *v)))
		}
		if canonical, ok := legacyIPv4CIDR(*v); ok {
			warnings = append(warnings, fieldErr(path, fmt.Sprintf(
				"warning: non-standard CIDR %q (leading zeros) is read as %q, as Kubernetes 1.34 does; a future Kubernetes release will reject it", *v, canonical)))
			*v = canonical
		}
	}
	for i := range s.Steps {
		for j := range s.Steps[i].Actions {
			a := &s.Steps[i].Actions[j]
			for _, pol := range []struct {
				field string
				spec  *networkingv1.NetworkPolicySpec
			}{{"apply", specOf(a.Apply)}, {"update", specOf(a.Update)}} {
				if pol.spec == nil {
					continue
				}
				at := joinPath(indexPath(joinPath(indexPath("steps", i), "actions"), j), pol.field+".spec")
				for k := range pol.spec.Ingress {
					for l, peer := range pol.spec.Ingress[k].From {
						fixBlock(peer.IPBlock, indexPath(joinPath(indexPath(joinPath(at, "ingress"), k), "from"), l), fix)
					}
				}
				for k := range pol.spec.Egress {
					for l, peer := range pol.spec.Egress[k].To {
						fixBlock(peer.IPBlock, indexPath(joinPath(indexPath(joinPath(at, "egress"), k), "to"), l), fix)
					}
				}
			}
		}
	}
	return warnings
}

func specOf(p *networkingv1.NetworkPolicy) *networkingv1.NetworkPolicySpec {
	if p == nil {
		return nil
	}
	return &p.Spec
}

func fixBlock(b *networkingv1.IPBlock, path string, fix func(*string, string)) {
	if b == nil {
		return
	}
	fix(&b.CIDR, joinPath(path, "ipBlock.cidr"))
	for i := range b.Except {
		fix(&b.Except[i], indexPath(joinPath(path, "ipBlock.except"), i))
	}
}
