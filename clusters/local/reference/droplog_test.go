package reference

import (
	"math/rand/v2"
	"net/netip"
	"slices"
	"testing"
	"time"

	"github.com/netpolcheck/netpolcheck/enforcer/bpf"
	"github.com/netpolcheck/netpolcheck/enforcer/datapath"
)

var (
	podA  = netip.MustParseAddr("192.168.0.1")
	podB  = netip.MustParseAddr("192.168.0.2")
	ext   = netip.MustParseAddr("203.0.113.10")
	other = netip.MustParseAddr("203.0.113.11")
)

func drop(src, dst netip.Addr, sport, dport uint16, protocol uint8) datapath.Drop {
	return datapath.Drop{
		Source: src, Destination: dst, SourcePort: sport, DestinationPort: dport, Protocol: protocol,
		Direction: bpf.Ingress, Reason: bpf.ReasonPeer, Endpoint: "x/b", Generation: 2,
	}
}

func TestDropLogFind(t *testing.T) {
	toB80 := dropFilter{destination: podB, port: 80, protocol: 6, source: podA}
	tests := []struct {
		name   string
		size   int
		drops  []datapath.Drop
		since  uint64
		limit  int
		filter dropFilter
		want   []string
	}{
		{
			name:   "matches source, destination, port and protocol",
			size:   8,
			drops:  []datapath.Drop{drop(podA, podB, 40000, 80, 6), drop(podA, podB, 40001, 81, 6), drop(podA, podB, 40002, 80, 17), drop(ext, podB, 40003, 80, 6), drop(podA, podA, 40004, 80, 6)},
			limit:  4,
			filter: toB80,
			want:   []string{"Ingress denied 192.168.0.1:40000 -> 192.168.0.2:80/TCP at x/b (no-peer, generation 2)"},
		},
		{
			name:   "retransmissions of one attempt show once",
			size:   8,
			drops:  []datapath.Drop{drop(podA, podB, 40000, 80, 6), drop(podA, podB, 40000, 80, 6), drop(podA, podB, 40001, 80, 6)},
			limit:  4,
			filter: toB80,
			want: []string{
				"Ingress denied 192.168.0.1:40000 -> 192.168.0.2:80/TCP at x/b (no-peer, generation 2)",
				"Ingress denied 192.168.0.1:40001 -> 192.168.0.2:80/TCP at x/b (no-peer, generation 2)",
			},
		},
		{
			name:   "records before the step are left out",
			size:   8,
			drops:  []datapath.Drop{drop(podA, podB, 40000, 80, 6), drop(podA, podB, 40001, 80, 6)},
			since:  1,
			limit:  4,
			filter: toB80,
			want:   []string{"Ingress denied 192.168.0.1:40001 -> 192.168.0.2:80/TCP at x/b (no-peer, generation 2)"},
		},
		{
			name:   "the newest records are kept under the limit, oldest first",
			size:   8,
			drops:  []datapath.Drop{drop(podA, podB, 1, 80, 6), drop(podA, podB, 2, 80, 6), drop(podA, podB, 3, 80, 6)},
			limit:  2,
			filter: toB80,
			want: []string{
				"Ingress denied 192.168.0.1:2 -> 192.168.0.2:80/TCP at x/b (no-peer, generation 2)",
				"Ingress denied 192.168.0.1:3 -> 192.168.0.2:80/TCP at x/b (no-peer, generation 2)",
			},
		},
		{
			name:   "the ring forgets the oldest",
			size:   2,
			drops:  []datapath.Drop{drop(podA, podB, 1, 80, 6), drop(podA, podB, 2, 80, 6), drop(podA, podB, 3, 80, 6)},
			limit:  4,
			filter: toB80,
			want: []string{
				"Ingress denied 192.168.0.1:2 -> 192.168.0.2:80/TCP at x/b (no-peer, generation 2)",
				"Ingress denied 192.168.0.1:3 -> 192.168.0.2:80/TCP at x/b (no-peer, generation 2)",
			},
		},
		{
			name:   "an unknown source matches every address that is no pod's",
			size:   8,
			drops:  []datapath.Drop{drop(podA, podB, 1, 80, 6), drop(ext, podB, 2, 80, 6), drop(other, podB, 3, 80, 6)},
			limit:  4,
			filter: dropFilter{destination: podB, port: 80, protocol: 6, others: map[netip.Addr]bool{podA: true, podB: true}},
			want: []string{
				"Ingress denied 203.0.113.10:2 -> 192.168.0.2:80/TCP at x/b (no-peer, generation 2)",
				"Ingress denied 203.0.113.11:3 -> 192.168.0.2:80/TCP at x/b (no-peer, generation 2)",
			},
		},
		{
			name:   "an empty log has nothing",
			size:   4,
			limit:  4,
			filter: toB80,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := newDropLog(tt.size)
			for _, d := range tt.drops {
				l.add(d)
			}
			if got := l.mark(); got != uint64(len(tt.drops)) {
				t.Errorf("mark = %d, want %d", got, len(tt.drops))
			}
			if got := l.find(tt.since, tt.limit, tt.filter); !slices.Equal(got, tt.want) {
				t.Errorf("find =\n%q\nwant\n%q", got, tt.want)
			}
		})
	}
}

// A probe watching its flow hears of a drop of its own socket, recorded
// after it started watching or before; never of another flow's, nor of a
// drop from before its socket was made (an earlier socket's, with the same
// ports), even one recorded only now.
func TestDropLogWatch(t *testing.T) {
	flowOfA := flow{source: netip.AddrPortFrom(podA, 40000), destination: netip.AddrPortFrom(podB, 80), protocol: 6}
	at := func(d datapath.Drop, when time.Duration) datapath.Drop {
		d.Monotonic = when
		return d
	}
	count := func(n *int) func() { return func() { *n++ } }

	l := newDropLog(4)
	var later, other, stopped int
	stop := l.watch(flowOfA, 100, count(&later))
	stopOther := l.watch(flow{source: netip.AddrPortFrom(podA, 40001), destination: flowOfA.destination, protocol: 6}, 100, count(&other))
	stopStopped := l.watch(flowOfA, 100, count(&stopped))
	stopStopped()
	l.add(at(drop(podA, podB, 40000, 80, 6), 50)) // an earlier socket's, read late
	if later != 0 {
		t.Errorf("told of a drop from before the socket was made")
	}
	l.add(at(drop(podA, podB, 40000, 80, 17), 150)) // another protocol
	l.add(at(drop(podA, podB, 40000, 80, 6), 150))
	l.add(at(drop(podA, podB, 40000, 80, 6), 160)) // a retransmission: told once
	stop()
	stopOther()
	if later != 1 || other != 0 || stopped != 0 {
		t.Errorf("told %d, another flow's watcher %d, a stopped one %d times; want 1, 0, 0", later, other, stopped)
	}
	if len(l.waiters) != 0 {
		t.Errorf("waiters left after every stop: %v", l.waiters)
	}

	var before, newer int
	l.watch(flowOfA, 120, count(&before))()
	l.watch(flowOfA, 200, count(&newer))()
	if before != 1 || newer != 0 {
		t.Errorf("drop at 160 already recorded: a socket made at 120 told %d times, one made at 200 %d; want 1, 0", before, newer)
	}

	// Once the ring has overwritten the flow's records, the flow is
	// forgotten (memory stays bounded) and nothing is told.
	for port := range uint16(4) {
		l.add(at(drop(podA, podB, 50000+port, 80, 6), 300))
	}
	var overwritten int
	l.watch(flowOfA, 0, count(&overwritten))()
	if overwritten != 0 || len(l.newest) != 4 {
		t.Errorf("after the ring wrapped: told %d times, %d flows indexed; want 0, 4", overwritten, len(l.newest))
	}
}

// find by a pod's address reads the pair index; it must say what a scan of
// the ring says, however the ring has wrapped.
func TestDropLogIndexAgreesWithScan(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	addrs := []netip.Addr{podA, podB, ext}
	for round := range 200 {
		l := newDropLog(1 + rng.IntN(8))
		for range rng.IntN(40) {
			l.add(drop(addrs[rng.IntN(3)], addrs[rng.IntN(3)], uint16(40000+rng.IntN(3)), uint16(80+rng.IntN(2)), 6))
		}
		f := dropFilter{source: addrs[rng.IntN(3)], destination: addrs[rng.IntN(3)], port: uint16(80 + rng.IntN(2)), protocol: 6}
		since, limit := uint64(rng.IntN(40)), 1+rng.IntN(4)
		got := l.find(since, limit, f)
		var want []string
		first := max(since, l.next-min(l.next, uint64(len(l.ring))))
		for n := l.next; n > first && len(want) < limit; n-- {
			if d := l.ring[(n-1)%uint64(len(l.ring))]; f.match(d) && !slices.Contains(want, d.String()) {
				want = append(want, d.String())
			}
		}
		slices.Reverse(want)
		if !slices.Equal(got, want) {
			t.Fatalf("round %d: find(%d, %d, %+v) = %q, a scan says %q", round, since, limit, f, got, want)
		}
		if len(l.byPair) > len(l.ring) {
			t.Fatalf("round %d: %d pairs indexed for a ring of %d", round, len(l.byPair), len(l.ring))
		}
	}
}
