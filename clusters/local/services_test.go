package local

import (
	"net/netip"
	"strings"
	"testing"
)

func TestServicesKeepClusterIPsForThePodsLifetime(t *testing.T) {
	s := newServices()
	if err := s.sync([]string{"x/a", "x/b"}); err != nil {
		t.Fatal(err)
	}
	a, b := s.vip["x/a"], s.vip["x/b"]
	if a != netip.MustParseAddr("198.18.0.1") || b != netip.MustParseAddr("198.18.0.2") {
		t.Fatalf("ClusterIPs %s %s, want 198.18.0.1 and .2", a, b)
	}
	if err := s.sync([]string{"x/b", "x/c"}); err != nil {
		t.Fatal(err)
	}
	if _, ok := s.vip["x/a"]; ok || s.vip["x/b"] != b || s.vip["x/c"] != netip.MustParseAddr("198.18.0.3") {
		t.Fatalf("after x/a left and x/c came: %v; want x/b kept, x/c new, a's address not reused", s.vip)
	}
	s.next = netip.MustParseAddr("198.20.0.0") // past the /15
	if err := s.sync([]string{"x/d"}); err == nil || !strings.Contains(err.Error(), "no addresses left") {
		t.Fatalf("sync past the range: %v, want no addresses left", err)
	}
}

func TestServicesRuleset(t *testing.T) {
	s := newServices()
	empty := s.ruleset(nil)
	if strings.Contains(empty, "elements") || !strings.HasPrefix(empty, "table ip netpolcheck_services\ndelete table ip netpolcheck_services\n") {
		t.Errorf("empty ruleset:\n%s", empty)
	}
	if err := s.sync([]string{"x/a", "x/b"}); err != nil {
		t.Fatal(err)
	}
	got := s.ruleset(map[string]string{"x/a": "192.168.1.1", "x/b": "192.168.1.2"})
	for _, want := range []string{
		"elements = { 198.18.0.1 : 192.168.1.1, 198.18.0.2 : 192.168.1.2 }",
		"elements = { 198.18.0.1 . 192.168.1.1, 198.18.0.2 . 192.168.1.2 }",
		"type nat hook prerouting priority dstnat",
		"meta mark & 0x4000 == 0x4000 masquerade",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("ruleset lacks %q:\n%s", want, got)
		}
	}
}
