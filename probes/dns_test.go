package probes

import (
	"context"
	"errors"
	"net/netip"
	"strings"
	"testing"
	"time"
)

func TestDNSRoundTrip(t *testing.T) {
	known := netip.MustParseAddr("198.18.0.7")
	answer := func(name string) (netip.Addr, bool) { return known, name == "np-b.x.svc.cluster.local" }
	tests := []struct {
		name    string
		want    netip.Addr
		wantErr string
	}{
		{"np-b.x.svc.cluster.local", known, ""},
		{"NP-B.X.svc.cluster.local.", known, ""},
		{"np-c.x.svc.cluster.local", netip.Addr{}, "the DNS server answered RCodeNameError"},
	}
	for _, tt := range tests {
		q, err := dnsQuery(7, tt.name)
		if err != nil {
			t.Fatal(err)
		}
		reply, ok := answerDNS(q, answer)
		if !ok {
			t.Fatalf("%s: the query was not read as one", tt.name)
		}
		got, err := dnsAddress(reply, 7)
		if got != tt.want || (err == nil) != (tt.wantErr == "") || err != nil && err.Error() != tt.wantErr {
			t.Errorf("%s: %v, %v; want %v, %q", tt.name, got, err, tt.want, tt.wantErr)
		}
		if _, err := dnsAddress(reply, 8); !errors.Is(err, errNotForUs) {
			t.Errorf("%s: a reply to another ID read as ours: %v", tt.name, err)
		}
	}
	for _, notQuery := range [][]byte{nil, []byte("netpolcheck-probe 1 abc"), {1, 2, 3}} {
		if _, ok := answerDNS(notQuery, answer); ok {
			t.Errorf("%q answered as a DNS query", notQuery)
		}
	}
	if _, err := dnsQuery(1, "bad..name"); err == nil {
		t.Error("a name with an empty label made a query")
	}
}

// A probe server answering DNS resolves names from a socket of the client's
// own, and still answers the probes' own datagrams with its identity; a
// server that is not there leaves the name unresolved.
func TestLookupThroughAProbeServer(t *testing.T) {
	srv, err := Serve(context.Background(), "kube-system/dns", []PortSpec{{Port: 0, Protocol: UDP}})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	backend := netip.MustParseAddr("198.18.0.9")
	srv.AnswerDNS(func(name string) (netip.Addr, bool) { return backend, strings.HasPrefix(name, "np-b.") })
	server := netip.AddrPortFrom(netip.MustParseAddr("127.0.0.1"), uint16(srv.Ports()[0].Port))

	got, err := StartLookup(server, ServiceDNSName("np-b", "x"), time.Second).Finish(context.Background())
	if err != nil || got != backend {
		t.Fatalf("lookup = %v, %v; want %v", got, err, backend)
	}
	if _, err := StartLookup(server, ServiceDNSName("np-c", "x"), time.Second).Finish(context.Background()); err == nil || errors.Is(err, ErrUnresolved) {
		t.Errorf("an unknown name = %v; want the server's NXDOMAIN, which is not a blocked query", err)
	}
	r := Run(context.Background(), Job{From: "t", To: "kube-system/dns", Host: "127.0.0.1", Port: int32(server.Port()), Protocol: UDP, Expect: "kube-system/dns", Timeout: time.Second})
	if r.Outcome != Allowed {
		t.Errorf("a UDP probe of the DNS server = %s (%s); want allowed", r.Outcome, r.Detail)
	}
	srv.Close()
	_, err = StartLookup(server, ServiceDNSName("np-b", "x"), 300*time.Millisecond).Finish(context.Background())
	if !errors.Is(err, ErrUnresolved) {
		t.Errorf("a lookup of a closed server = %v; want ErrUnresolved", err)
	}
}

// The DNS server reads datagrams from anywhere in its network, and the
// client reads whatever answers: neither may panic on any input, and a
// reply the server makes must read back.
func FuzzDNSMessages(f *testing.F) {
	q, _ := dnsQuery(9, "np-a.x.svc.cluster.local")
	f.Add(q)
	f.Add([]byte("netpolcheck-probe 1 abc"))
	f.Add([]byte{0, 9, 0x81, 0x80, 0, 1, 0, 1, 0, 0, 0, 0})
	answer := func(string) (netip.Addr, bool) { return netip.MustParseAddr("198.18.0.1"), true }
	f.Fuzz(func(t *testing.T, msg []byte) {
		_, _ = dnsAddress(msg, 9)
		reply, ok := answerDNS(msg, answer)
		if !ok {
			return
		}
		if _, err := dnsAddress(reply, uint16(msg[0])<<8|uint16(msg[1])); errors.Is(err, errNotForUs) {
			t.Fatalf("the reply to %x is not read as its reply", msg)
		}
	})
}

// A query whose drop the network reports is unresolved then, not at its
// timeout, and the watch learns the query's own socket and start.
func TestLookupEndsAtAReportedDrop(t *testing.T) {
	server := netip.AddrPortFrom(netip.MustParseAddr("127.0.0.1"), uint16(silentUDP(t)))
	query := Job{From: "x/a", To: "kube-system/dns", Host: "127.0.0.1", Port: int32(server.Port()), Protocol: UDP}
	var got Job
	var local netip.AddrPort
	watch := func(j Job, from netip.AddrPort, started time.Duration, dropped func()) func() {
		got, local = j, from
		timer := time.AfterFunc(30*time.Millisecond, dropped)
		return func() { timer.Stop() }
	}
	began := time.Now()
	_, err := StartLookup(server, ServiceDNSName("np-b", "x"), 5*time.Second).FinishWatched(context.Background(), query, watch)
	if !errors.Is(err, ErrUnresolved) || !strings.Contains(err.Error(), "the network logged the drop of the query") {
		t.Errorf("lookup = %v, want unresolved by the logged drop", err)
	}
	if took := time.Since(began); took > 2*time.Second {
		t.Errorf("took %v: the reported drop did not end the wait", took)
	}
	if got != query || local.Addr() != netip.MustParseAddr("127.0.0.1") || local.Port() == 0 {
		t.Errorf("watch given %+v from %v, want the query from the lookup's own socket", got, local)
	}
}
