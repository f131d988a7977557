package generate

import (
	"fmt"
	"net/netip"
	"strings"
	"testing"

	networkingv1 "k8s.io/api/networking/v1"

	"github.com/netpolcheck/netpolcheck/scenarios"
)

// TestExceptsStayInsideTheirBlocksOnAnyPodLayout expands every generated
// ipBlock with pods of one namespace spread over different nodes' /24s, as
// kind places them: the API server refuses an except that is not strictly
// inside its cidr, and an earlier generator, which took a namespace's block
// around its first pod, produced exactly that on kind.
func TestExceptsStayInsideTheirBlocksOnAnyPodLayout(t *testing.T) {
	cases, err := Cases(Full)
	if err != nil {
		t.Fatal(err)
	}
	// Every pod in a /24 of its own, none shared within a namespace.
	ips := map[string]string{}
	ipOf := func(pod string) (string, bool) {
		if _, ok := ips[pod]; !ok {
			ips[pod] = fmt.Sprintf("192.168.%d.%d", len(ips)%3, 10+len(ips))
		}
		return ips[pod], true
	}
	checked := 0
	for _, sc := range cases {
		for _, st := range sc.Steps {
			for _, a := range st.Actions {
				for _, p := range []*networkingv1.NetworkPolicy{a.Apply, a.Update} {
					if p == nil {
						continue
					}
					expanded, err := scenarios.ExpandPlaceholders(p, ipOf)
					if err != nil {
						t.Fatalf("%s: %v", sc.Name, err)
					}
					checked += checkExcepts(t, sc.Name, expanded)
				}
			}
		}
	}
	if checked == 0 {
		t.Fatal("no generated case has an except")
	}
}

// checkExcepts checks each except of p lies strictly inside its cidr and
// returns how many it checked.
func checkExcepts(t *testing.T, name string, p *networkingv1.NetworkPolicy) int {
	t.Helper()
	n := 0
	var peers []networkingv1.NetworkPolicyPeer
	for _, r := range p.Spec.Ingress {
		peers = append(peers, r.From...)
	}
	for _, r := range p.Spec.Egress {
		peers = append(peers, r.To...)
	}
	for _, peer := range peers {
		if peer.IPBlock == nil {
			continue
		}
		block := netip.MustParsePrefix(peer.IPBlock.CIDR)
		for _, e := range peer.IPBlock.Except {
			except := netip.MustParsePrefix(e)
			n++
			if except.Bits() <= block.Bits() || !block.Contains(except.Addr()) {
				t.Errorf("%s: except %s is not strictly inside cidr %s (%s)", name, e, peer.IPBlock.CIDR, strings.Join(peer.IPBlock.Except, ","))
			}
		}
	}
	return n
}
