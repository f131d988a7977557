package probes

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"
)

// TestIntegrationNoRoute dials a documentation address from a namespace with
// only lo: the kernel fails the connect locally, so nothing is sent, and the
// probe must say Error, never Blocked.
func TestIntegrationNoRoute(t *testing.T) {
	requireNetAdmin(t)
	for _, protocol := range []string{TCP, UDP} {
		var got Result
		inThreadNetns(t, freshNetns, func() {
			got = Run(context.Background(), Job{Host: "192.0.2.1", Port: 80, Protocol: protocol})
		})
		if got.Outcome != Error || got.Detail != "connect: no route: network is unreachable" {
			t.Errorf("%s: Run = %s, %q; want error, no route", protocol, got.Outcome, got.Detail)
		}
	}
}

// TestIntegrationServeInCallersNamespace checks the promise Serve and Run make:
// sockets live in the namespace of the calling thread.
func TestIntegrationServeInCallersNamespace(t *testing.T) {
	requireNetAdmin(t)
	var srv *Server
	var inside Result
	inThreadNetns(t, freshNetns, func() {
		var err error
		if srv, err = Serve(context.Background(), "ns/inside", []PortSpec{{0, TCP}}); err != nil {
			t.Errorf("Serve: %v", err)
			return
		}
		inside = Run(context.Background(), Job{Host: "127.0.0.1", Port: srv.Ports()[0].Port, Protocol: TCP, Expect: "ns/inside"})
	})
	if srv == nil {
		t.FailNow()
	}
	defer srv.Close()
	if inside.Outcome != Allowed {
		t.Errorf("Run inside the namespace = %s, %q; want allowed", inside.Outcome, inside.Detail)
	}
	// From the host namespace the same port must not reach the server, which
	// keeps answering from its namespace after the thread that made it ended.
	outside := Run(context.Background(), Job{Host: "127.0.0.1", Port: srv.Ports()[0].Port, Protocol: TCP, Expect: "ns/inside", Timeout: 300 * time.Millisecond})
	if outside.Outcome == Allowed {
		t.Errorf("Run from the host namespace reached the namespaced server: %q", outside.Detail)
	}
}

// TestIntegrationDroppedFlow drops flows with nftables, as a policy would, in
// a pair of namespaces joined by a veth: the dropped ports must read Blocked
// after the timeout while the others stay Allowed.
func TestIntegrationDroppedFlow(t *testing.T) {
	requireNetAdmin(t, "ip", "nft")
	client := fmt.Sprintf("npcprobes-%d-c", os.Getpid())
	server := fmt.Sprintf("npcprobes-%d-s", os.Getpid())
	addNetns(t, client)
	addNetns(t, server)
	command(t, "", "ip", "-n", client, "link", "add", "npcp0", "type", "veth", "peer", "name", "npcp1", "netns", server)
	command(t, "", "ip", "-n", client, "addr", "add", "10.213.0.1/30", "dev", "npcp0")
	command(t, "", "ip", "-n", server, "addr", "add", "10.213.0.2/30", "dev", "npcp1")
	for _, ns := range []string{client, server} {
		command(t, "", "ip", "-n", ns, "link", "set", "lo", "up")
	}
	command(t, "", "ip", "-n", client, "link", "set", "npcp0", "up")
	command(t, "", "ip", "-n", server, "link", "set", "npcp1", "up")
	waitLinkUp(t, client, "npcp0")
	waitLinkUp(t, server, "npcp1")

	var srv *Server
	inThreadNetns(t, namedNetns(server), func() {
		var err error
		if srv, err = Serve(context.Background(), "s/server", []PortSpec{{0, TCP}, {0, TCP}, {0, UDP}}); err != nil {
			t.Errorf("Serve: %v", err)
		}
	})
	if srv == nil {
		t.FailNow()
	}
	t.Cleanup(func() { _ = srv.Close() })
	open, dropped, udp := srv.Ports()[0].Port, srv.Ports()[1].Port, srv.Ports()[2].Port

	const timeout = 500 * time.Millisecond
	jobs := []Job{
		{From: "c/client", To: "s/server", Host: "10.213.0.2", Port: open, Protocol: TCP, Expect: "s/server", Timeout: timeout},
		{From: "c/client", To: "s/server", Host: "10.213.0.2", Port: dropped, Protocol: TCP, Expect: "s/server", Timeout: timeout},
		{From: "c/client", To: "s/server", Host: "10.213.0.2", Port: udp, Protocol: UDP, Expect: "s/server", Timeout: timeout},
	}
	// This is how a local cluster probes: each job on a thread in the source
	// pod's namespace.
	fromClient := func(ctx context.Context, job Job) Result {
		var r Result
		inThreadNetns(t, namedNetns(client), func() { r = Run(ctx, job) })
		return r
	}
	check := func(stage string, want []Outcome, wantDetail []string) {
		t.Helper()
		for i, r := range RunBatch(context.Background(), jobs, len(jobs), fromClient) {
			if r.Outcome != want[i] || r.Detail != wantDetail[i] {
				t.Errorf("%s: %s %d: %s, %q; want %s, %q", stage, r.Job.Protocol, r.Job.Port, r.Outcome, r.Detail, want[i], wantDetail[i])
			}
		}
	}
	check("before the drop rules",
		[]Outcome{Allowed, Allowed, Allowed},
		[]string{"answered s/server", "answered s/server", "answered s/server"})

	command(t, fmt.Sprintf(`table inet npcprobes {
	chain input {
		type filter hook input priority 0; policy accept;
		tcp dport %d drop
		udp dport %d drop
	}
}
`, dropped, udp), "ip", "netns", "exec", server, "nft", "-f", "-")
	check("with the drop rules",
		[]Outcome{Allowed, Blocked, Blocked},
		[]string{"answered s/server", "connect: no answer within 500ms", "reply: no answer within 500ms"})
}
