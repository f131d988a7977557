package probes

import (
	"context"
	"net/netip"
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestNameserver(t *testing.T) {
	dir := t.TempDir()
	write := func(name, text string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	good := write("good", "search x.svc.cluster.local svc.cluster.local\nnameserver 10.96.0.10\nnameserver 10.96.0.11\noptions ndots:5\n")
	if got, err := Nameserver(good); err != nil || got != netip.MustParseAddrPort("10.96.0.10:53") {
		t.Errorf("Nameserver = %v, %v; want the first, on 53", got, err)
	}
	for name, text := range map[string]string{"none": "search a\n", "bad": "nameserver ten\n"} {
		if _, err := Nameserver(write(name, text)); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
	if _, err := Nameserver(filepath.Join(dir, "missing")); err == nil {
		t.Error("a missing resolv.conf read")
	}
}

// A job by name asks the resolver of its resolv.conf, then dials what the
// name resolved to; a name the server does not answer for is an error, and
// a server that does not answer leaves the name unresolved: blocked, with
// nothing dialled.
func TestRunByName(t *testing.T) {
	dir := t.TempDir()
	records := filepath.Join(dir, "records")
	srv, err := Serve(context.Background(), "kube-system/dns", []PortSpec{{Port: 0, Protocol: UDP}, {Port: 0, Protocol: TCP}})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	srv.AnswerDNS(RecordsAnswerer(records))
	var udp, tcp int32
	for _, p := range srv.Ports() {
		if p.Protocol == UDP {
			udp = p.Port
		} else {
			tcp = p.Port
		}
	}
	old := resolverPort
	resolverPort = uint16(udp)
	defer func() { resolverPort = old }()
	conf := filepath.Join(dir, "resolv.conf")
	if err := os.WriteFile(conf, []byte("nameserver 127.0.0.1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := WriteRecords(records, []string{"np-b.x.svc.cluster.local=127.0.0.1"}); err != nil {
		t.Fatal(err)
	}
	job := Job{From: "x/a", To: "kube-system/dns", Host: "192.0.2.1", Port: tcp, Protocol: TCP, Expect: "kube-system/dns", Timeout: time.Second, Name: "np-b.x.svc.cluster.local"}
	if r := runByName(context.Background(), job, conf); r.Outcome != Allowed || r.Job.Name != job.Name {
		t.Errorf("by name: %s (%s); want allowed, the job as given", r.Outcome, r.Detail)
	}
	job.Name = "np-c.x.svc.cluster.local"
	if r := runByName(context.Background(), job, conf); r.Outcome != Error {
		t.Errorf("an unknown name: %s (%s); want an error", r.Outcome, r.Detail)
	}
	srv.Close()
	job.Name, job.Timeout = "np-b.x.svc.cluster.local", 300*time.Millisecond
	if r := runByName(context.Background(), job, conf); r.Outcome != Blocked || r.Blocked != Unresolved {
		t.Errorf("no DNS server: %s %s (%s); want blocked, unresolved", r.Outcome, r.Blocked, r.Detail)
	}
}

func TestWriteRecordsRefusesBadRecords(t *testing.T) {
	path := filepath.Join(t.TempDir(), "records")
	for _, bad := range []string{"name", "=1.2.3.4", "a=not-an-address"} {
		if err := WriteRecords(path, []string{bad}); err == nil {
			t.Errorf("WriteRecords(%q) took it", bad)
		}
	}
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Errorf("a refused write left %s: %v", path, err)
	}
}
