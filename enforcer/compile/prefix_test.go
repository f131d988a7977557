package compile

import (
	"net/netip"
	"reflect"
	"testing"
)

func TestSubtract(t *testing.T) {
	tests := []struct {
		name    string
		block   string
		excepts []string
		want    []string
	}{
		{"no except", "10.0.0.0/8", nil, []string{"10.0.0.0/8"}},
		{"except outside the block", "10.0.0.0/8", []string{"11.0.0.0/8"}, []string{"10.0.0.0/8"}},
		{"except covers the block", "10.1.0.0/16", []string{"10.0.0.0/8"}, nil},
		{"except equals the block", "10.1.0.0/16", []string{"10.1.0.0/16"}, nil},
		{"one address out of a /30", "10.0.0.0/30", []string{"10.0.0.2/32"}, []string{"10.0.0.0/31", "10.0.0.3/32"}},
		{"two excepts", "10.0.0.0/8", []string{"10.1.0.0/16", "10.2.3.0/24"}, []string{
			"10.0.0.0/16",
			"10.2.0.0/23", "10.2.2.0/24", "10.2.4.0/22", "10.2.8.0/21", "10.2.16.0/20", "10.2.32.0/19", "10.2.64.0/18", "10.2.128.0/17",
			"10.3.0.0/16", "10.4.0.0/14", "10.8.0.0/13", "10.16.0.0/12", "10.32.0.0/11", "10.64.0.0/10", "10.128.0.0/9",
		}},
		{"everything but one address", "0.0.0.0/0", []string{"255.255.255.255/32"}, []string{
			"0.0.0.0/1", "128.0.0.0/2", "192.0.0.0/3", "224.0.0.0/4", "240.0.0.0/5", "248.0.0.0/6", "252.0.0.0/7", "254.0.0.0/8",
			"255.0.0.0/9", "255.128.0.0/10", "255.192.0.0/11", "255.224.0.0/12", "255.240.0.0/13", "255.248.0.0/14", "255.252.0.0/15", "255.254.0.0/16",
			"255.255.0.0/17", "255.255.128.0/18", "255.255.192.0/19", "255.255.224.0/20", "255.255.240.0/21", "255.255.248.0/22", "255.255.252.0/23", "255.255.254.0/24",
			"255.255.255.0/25", "255.255.255.128/26", "255.255.255.192/27", "255.255.255.224/28", "255.255.255.240/29", "255.255.255.248/30", "255.255.255.252/31", "255.255.255.254/32",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var excepts []netip.Prefix
			for _, e := range tt.excepts {
				excepts = append(excepts, prefix(e))
			}
			var got []string
			for _, p := range subtract(prefix(tt.block), excepts) {
				got = append(got, p.String())
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("subtract = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestRangePrefixes(t *testing.T) {
	tests := []struct {
		lo, hi uint16
		want   []portPrefix
	}{
		{80, 80, []portPrefix{{80, 16}}},
		{0, 65535, []portPrefix{{0, 0}}},
		{1, 8, []portPrefix{{1, 16}, {2, 15}, {4, 14}, {8, 16}}},
		{65530, 65535, []portPrefix{{65530, 15}, {65532, 14}}},
		{1, 65535, []portPrefix{{1, 16}, {2, 15}, {4, 14}, {8, 13}, {16, 12}, {32, 11}, {64, 10}, {128, 9}, {256, 8}, {512, 7}, {1024, 6}, {2048, 5}, {4096, 4}, {8192, 3}, {16384, 2}, {32768, 1}}},
		{80, 443, []portPrefix{{80, 12}, {96, 11}, {128, 9}, {256, 9}, {384, 11}, {416, 12}, {432, 13}, {440, 14}}},
	}
	for _, tt := range tests {
		if got := rangePrefixes(tt.lo, tt.hi); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("rangePrefixes(%d, %d) = %v, want %v", tt.lo, tt.hi, got, tt.want)
		}
	}
}

func TestPortSet(t *testing.T) {
	tests := []struct {
		name  string
		build func() portSet
		key   string
		want  []PortPrefix
	}{
		{"empty", func() portSet { return portSet{} }, "", nil},
		{"adjacent ranges merge", func() portSet {
			var s portSet
			s.add(TCP, 80, 80)
			s.add(TCP, 81, 83)
			s.add(TCP, 10, 20)
			s.add(TCP, 15, 16)
			return s
		}, "6:10-20,80-83,;", []PortPrefix{pp(7, TCP, 10, 15), pp(7, TCP, 12, 14), pp(7, TCP, 16, 14), pp(7, TCP, 20, 16), pp(7, TCP, 80, 14)}},
		{"protocols stay apart", func() portSet {
			var s portSet
			s.add(SCTP, 9, 9)
			s.add(UDP, 9, 9)
			return s
		}, "17:9-9,;132:9-9,;", []PortPrefix{pp(7, UDP, 9, 16), pp(7, SCTP, 9, 16)}},
		{"any absorbs the rest", func() portSet {
			var s portSet
			s.add(TCP, 80, 80)
			s.union(anyPort())
			s.add(UDP, 1, 1)
			return s
		}, "any", []PortPrefix{pp(7, AnyProtocol, 0, 0)}},
		{"union copies ranges", func() portSet {
			var a, b portSet
			a.add(TCP, 1, 1)
			b.add(TCP, 2, 3)
			b.add(UDP, 5, 5)
			a.union(b)
			return a
		}, "6:1-3,;17:5-5,;", []PortPrefix{pp(7, TCP, 1, 16), pp(7, TCP, 2, 15), pp(7, UDP, 5, 16)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := tt.build()
			if got := s.key(); got != tt.key {
				t.Errorf("key() = %q, want %q", got, tt.key)
			}
			if got := s.entries(7); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("entries(7) = %v, want %v", got, tt.want)
			}
		})
	}
}
