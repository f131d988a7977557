package scenarios

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"
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
