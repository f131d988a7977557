package kube

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"
)

func TestParseStaticHost(t *testing.T) {
	tests := []struct {
		in   string
		want StaticHost
		err  string
	}{
		{"outside=198.51.100.10", StaticHost{"outside", "198.51.100.10"}, ""},
		{"v6=2001:db8::0:1", StaticHost{"v6", "2001:db8::1"}, ""},
		{"outside", StaticHost{}, `external host "outside" is not NAME=IP`},
		{"Outside=198.51.100.10", StaticHost{}, `external host name "Outside": a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')`},
		{"outside=198.51.100", StaticHost{}, `external host outside: invalid IP "198.51.100"`},
	}
	for _, tt := range tests {
		got, err := ParseStaticHost(tt.in)
		if got != tt.want || errText(err) != tt.err {
			t.Errorf("ParseStaticHost(%q) = %+v, %q; want %+v, %q", tt.in, got, errText(err), tt.want, tt.err)
		}
	}
}

func TestStaticHostAt(t *testing.T) {
	hosts := []StaticHost{{"a", "198.51.100.10"}, {"b", "2001:db8::1"}}
	for _, tt := range []struct {
		ip   string
		want string
	}{{"198.51.100.10", "a"}, {"2001:db8:0::1", "b"}, {"198.51.100.11", ""}, {"nonsense", ""}} {
		h, ok := staticHostAt(hosts, tt.ip)
		if h.Name != tt.want || ok != (tt.want != "") {
			t.Errorf("staticHostAt(%s) = %+v, %v; want %q", tt.ip, h, ok, tt.want)
		}
	}
}

// TestAddressLocksSerializeSharedAddresses: a cluster waits for another
// holding one of its addresses, and never deadlocks when two want the same
// addresses in different orders.
func TestAddressLocksSerializeSharedAddresses(t *testing.T) {
	l := newAddressLocks()
	release, err := l.acquire(context.Background(), []string{"198.51.100.10", "203.0.113.1"})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if _, err := l.acquire(ctx, []string{"203.0.113.1"}); !errors.Is(err, context.DeadlineExceeded) ||
		err.Error() != "wait for external host address 203.0.113.1: context deadline exceeded" {
		t.Errorf("second acquire while held = %v, want a deadline error naming 203.0.113.1", err)
	}
	// A different address is free meanwhile.
	other, err := l.acquire(context.Background(), []string{"192.0.2.1"})
	if err != nil {
		t.Fatal(err)
	}
	other()
	release()

	var wg sync.WaitGroup
	for i := range 20 {
		addrs := []string{"198.51.100.10", "203.0.113.1", "198.51.100.10"}
		if i%2 == 1 {
			addrs = []string{"203.0.113.1", "198.51.100.10"}
		}
		wg.Go(func() {
			r, err := l.acquire(context.Background(), addrs)
			if err != nil {
				t.Error(err)
				return
			}
			r()
		})
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("acquiring shared addresses in different orders deadlocked")
	}
}
