package datapath

import (
	"fmt"
	"net/netip"
	"testing"

	"github.com/netpolcheck/netpolcheck/enforcer/bpf"
	"github.com/netpolcheck/netpolcheck/enforcer/compile"
)

// A batch the kernel stops half-way (here the devices map, 32,768 entries
// at most, runs full) must leave the generation in force as it was, and
// the error must say where the batch stopped. (E2BIG, which cilium/ebpf
// words as "key too big", is what a full hash map answers.)
func TestIntegrationApplyFullMapKeepsGeneration(t *testing.T) {
	d := openTest(t)
	applyPolicies(t, d, testInput())
	const devicesMax = 32768
	var tables compile.Tables
	for i := range devicesMax + 1 {
		tables.Endpoints = append(tables.Endpoints, compile.Endpoint{
			Pod:      fmt.Sprintf("x/p%d", i),
			IP:       netip.AddrFrom4([4]byte{10, 1, byte(i >> 8), byte(i)}),
			Ifindex:  i + 1,
			Identity: uint32(i + 1),
		})
	}
	// The three devices of generation 1 take their room too.
	want := fmt.Sprintf("apply generation 2: write map devices entry %d: batch update: key too big for map: argument list too long", devicesMax-3)
	applyFailsKeepingGeneration1(t, d, &tables, want)
}

// Entries of the next generation that a failed write could not remove
// must not survive into it: a batch write would keep them beside the new
// entries, and an endpoint the new tables drop would stay enforced.
func TestIntegrationApplySweepsLeftovers(t *testing.T) {
	d := openTest(t)
	applyPolicies(t, d, testInput())
	stray := netip.MustParseAddr("10.9.9.9")
	if err := d.objs.Endpoints.Put(&bpf.PolicyEndpointKey{Generation: 2, Addr: networkAddr(stray)},
		&bpf.PolicyEndpointValue{Identity: 9, Ingress: 1}); err != nil {
		t.Fatalf("write stray entry: %v", err)
	}
	if err := d.objs.Peers.Put(&bpf.PolicyPeerKey{Prefixlen: bpf.PeerKeyFixedBits + 8, Generation: 2, Ruleset: 1, Addr: networkAddr(stray)},
		&bpf.PolicyPeerValue{Class: 1}); err != nil {
		t.Fatalf("write stray entry: %v", err)
	}
	d.leftovers = true
	if gen := applyPolicies(t, d, testInput()); gen != 2 {
		t.Fatalf("Apply = generation %d, want 2", gen)
	}
	want := map[string][]uint32{"endpoints": {2, 2, 2}, "devices": {2, 2, 2}}
	if got := generations(t, d); !equalGenerations(got, want) {
		t.Fatalf("entries after Apply: %v, want %v", got, want)
	}
	if d.leftovers {
		t.Fatal("leftovers still marked after a sweep")
	}
}
