package datapath

import (
	"fmt"

	"github.com/netpolcheck/netpolcheck/enforcer/bpf"
)

// Counters are the verdicts since the maps were created, summed over CPUs.
// They survive restarts, as the maps do.
type Counters struct {
	// Packets allowed and denied by ingress (to a pod) and egress (from a
	// pod) policy; packets of endpoints no table knows count as allowed.
	IngressAllowed uint64
	IngressDenied  uint64
	EgressAllowed  uint64
	EgressDenied   uint64
	// DropsLost counts drops whose record found the ring buffer full.
	DropsLost uint64
}

// Counters reads the verdict counters.
func (d *Datapath) Counters() (Counters, error) {
	var sums [bpf.CounterSlots]uint64
	for slot := range uint32(bpf.CounterSlots) {
		var perCPU []uint64
		if err := d.objs.Counters.Lookup(slot, &perCPU); err != nil {
			return Counters{}, fmt.Errorf("read counter %d: %w", slot, err)
		}
		for _, n := range perCPU {
			sums[slot] += n
		}
	}
	return Counters{
		IngressAllowed: sums[bpf.CounterIngressAllowed],
		IngressDenied:  sums[bpf.CounterIngressDenied],
		EgressAllowed:  sums[bpf.CounterEgressAllowed],
		EgressDenied:   sums[bpf.CounterEgressDenied],
		DropsLost:      sums[bpf.CounterDropsLost],
	}, nil
}
