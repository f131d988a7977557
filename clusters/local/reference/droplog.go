package reference

import (
	"net/netip"
	"slices"
	"sync"

	"github.com/netpolcheck/netpolcheck/enforcer/datapath"
)

// dropLog keeps the last drop records in a ring, each numbered, so that
// memory stays bounded however long a run blocks traffic.
type dropLog struct {
	mu   sync.Mutex
	ring []datapath.Drop
	// next numbers the next record; record n sits at ring[n % len(ring)].
	next uint64
}

func newDropLog(size int) *dropLog {
	return &dropLog{ring: make([]datapath.Drop, size)}
}

// add records a drop, overwriting the oldest when the ring is full.
func (l *dropLog) add(d datapath.Drop) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.ring[l.next%uint64(len(l.ring))] = d
	l.next++
}

// mark numbers the next record, for matching only records from now on.
func (l *dropLog) mark() uint64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.next
}

// dropFilter says which records belong to a probe: its destination, port
// and protocol, and its source when source is set, or else any source
// outside others (a probe from an external host, whose address the
// enforcer never learns, matches every source that is not a pod).
type dropFilter struct {
	destination netip.Addr
	port        uint16
	protocol    uint8
	source      netip.Addr
	others      map[netip.Addr]bool
}

func (f dropFilter) match(d datapath.Drop) bool {
	if d.Destination != f.destination || d.DestinationPort != f.port || d.Protocol != f.protocol {
		return false
	}
	if f.source.IsValid() {
		return d.Source == f.source
	}
	return !f.others[d.Source]
}

// find returns the distinct renderings of the matching records numbered
// since or later that the ring still holds, keeping the newest limit.
func (l *dropLog) find(since uint64, limit int, f dropFilter) []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	size := uint64(len(l.ring))
	first := since
	if l.next > size && first < l.next-size {
		first = l.next - size
	}
	var out []string
	for n := l.next; n > first && len(out) < limit; n-- {
		d := l.ring[(n-1)%size]
		if !f.match(d) {
			continue
		}
		if s := d.String(); !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	slices.Reverse(out)
	return out
}
