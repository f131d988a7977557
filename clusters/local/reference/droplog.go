package reference

import (
	"net/netip"
	"slices"
	"sync"
	"time"

	"github.com/netpolcheck/netpolcheck/enforcer/datapath"
)

// dropLog keeps the last drop records in a ring, each numbered, so that
// memory stays bounded however long a run blocks traffic. It also tells
// waiting probes at once when a packet of theirs is dropped.
type dropLog struct {
	mu   sync.Mutex
	ring []datapath.Drop
	// next numbers the next record; record n sits at ring[n % len(ring)].
	next uint64
	// newest is the number of the newest record of each flow the ring
	// holds, so that a probe that starts watching after its drop was
	// recorded finds it without a scan.
	newest map[flow]uint64
	// waiters are the probes watching each flow.
	waiters map[flow][]*dropWaiter
	// byPair numbers the records the ring holds for each source and
	// destination, oldest first: a step asks for those of every blocked
	// cell, and scanning the ring for each was a few percent of a run.
	byPair map[pair][]uint64
}

// pair is what a cell's drop records share, whatever the source port.
type pair struct {
	source, destination netip.Addr
	port                uint16
	protocol            uint8
}

func pairOf(d datapath.Drop) pair {
	return pair{source: d.Source, destination: d.Destination, port: d.DestinationPort, protocol: d.Protocol}
}

// flow is one socket's traffic in one direction: what a drop record and a
// probe's socket have in common.
type flow struct {
	source, destination netip.AddrPort
	protocol            uint8
}

func flowOf(d datapath.Drop) flow {
	return flow{
		source:      netip.AddrPortFrom(d.Source, d.SourcePort),
		destination: netip.AddrPortFrom(d.Destination, d.DestinationPort),
		protocol:    d.Protocol,
	}
}

type dropWaiter struct {
	started time.Duration
	dropped func()
}

func newDropLog(size int) *dropLog {
	return &dropLog{ring: make([]datapath.Drop, size), newest: map[flow]uint64{}, waiters: map[flow][]*dropWaiter{}, byPair: map[pair][]uint64{}}
}

// add records a drop, overwriting the oldest when the ring is full, and
// tells the flow's waiters.
func (l *dropLog) add(d datapath.Drop) {
	l.mu.Lock()
	size := uint64(len(l.ring))
	slot := l.next % size
	if l.next >= size {
		gone := l.next - size
		if old := flowOf(l.ring[slot]); l.newest[old] == gone {
			delete(l.newest, old)
		}
		if old := pairOf(l.ring[slot]); len(l.byPair[old]) > 0 && l.byPair[old][0] == gone {
			if len(l.byPair[old]) == 1 {
				delete(l.byPair, old)
			} else {
				l.byPair[old] = l.byPair[old][1:]
			}
		}
	}
	l.ring[slot] = d
	f := flowOf(d)
	l.newest[f] = l.next
	l.byPair[pairOf(d)] = append(l.byPair[pairOf(d)], l.next)
	l.next++
	var told []*dropWaiter
	if ws := l.waiters[f]; len(ws) > 0 {
		// A socket that started after this packet was dropped is another
		// socket that happens to have the same addresses and ports.
		told = slices.DeleteFunc(slices.Clone(ws), func(w *dropWaiter) bool { return w.started > d.Monotonic })
		ws = slices.DeleteFunc(ws, func(w *dropWaiter) bool { return w.started <= d.Monotonic })
		if len(ws) == 0 {
			delete(l.waiters, f)
		} else {
			l.waiters[f] = ws
		}
	}
	l.mu.Unlock()
	for _, w := range told {
		w.dropped()
	}
}

// watch calls dropped once a packet of f dropped at started or later (on
// CLOCK_MONOTONIC) is recorded, at once when the ring holds one already,
// and returns a function that stops watching. Ports are reused, so the time
// tells the watching socket's drops from an earlier socket's, even one
// whose record the reader takes in only now.
func (l *dropLog) watch(f flow, started time.Duration, dropped func()) (stop func()) {
	l.mu.Lock()
	if n, ok := l.newest[f]; ok && l.ring[n%uint64(len(l.ring))].Monotonic >= started {
		l.mu.Unlock()
		dropped()
		return func() {}
	}
	w := &dropWaiter{started: started, dropped: dropped}
	l.waiters[f] = append(l.waiters[f], w)
	l.mu.Unlock()
	return func() {
		l.mu.Lock()
		defer l.mu.Unlock()
		ws := slices.DeleteFunc(l.waiters[f], func(x *dropWaiter) bool { return x == w })
		if len(ws) == 0 {
			delete(l.waiters, f)
		} else {
			l.waiters[f] = ws
		}
	}
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
	keep := func(d datapath.Drop) {
		if s := d.String(); !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	if f.source.IsValid() {
		numbers := l.byPair[pair{source: f.source, destination: f.destination, port: f.port, protocol: f.protocol}]
		for i := len(numbers) - 1; i >= 0 && numbers[i] >= first && len(out) < limit; i-- {
			keep(l.ring[numbers[i]%size])
		}
	} else {
		for n := l.next; n > first && len(out) < limit; n-- {
			if d := l.ring[(n-1)%size]; f.match(d) {
				keep(d)
			}
		}
	}
	slices.Reverse(out)
	return out
}
