package reference

import (
	"net/netip"
	"slices"
	"testing"

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
