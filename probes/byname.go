package probes

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"strings"
	"sync"
	"time"
)

// ResolvConf is where a pod's resolver is configured.
const ResolvConf = "/etc/resolv.conf"

// resolverPort is where nameservers listen; tests, which cannot bind it
// without root, change it.
var resolverPort uint16 = 53

// Nameserver reads the first nameserver of a resolv.conf, on port 53, as
// the resolver of the C library and of Go take it.
func Nameserver(resolvConf string) (netip.AddrPort, error) {
	f, err := os.Open(resolvConf)
	if err != nil {
		return netip.AddrPort{}, err
	}
	defer f.Close()
	scanner := bufio.NewScanner(f)
	for scanner.Scan() {
		fields := strings.Fields(scanner.Text())
		if len(fields) < 2 || fields[0] != "nameserver" {
			continue
		}
		addr, err := netip.ParseAddr(fields[1])
		if err != nil {
			return netip.AddrPort{}, fmt.Errorf("%s: nameserver %q: %w", resolvConf, fields[1], err)
		}
		return netip.AddrPortFrom(addr, resolverPort), nil
	}
	if err := scanner.Err(); err != nil {
		return netip.AddrPort{}, err
	}
	return netip.AddrPort{}, fmt.Errorf("%s names no nameserver", resolvConf)
}

// runByName resolves job.Name through the resolver resolvConf names, then
// dials the address it resolved to. A name that did not resolve is Blocked
// (Unresolved) and nothing is dialled; an answer that is no address is an
// Error, never a block.
func runByName(ctx context.Context, job Job, resolvConf string) Result {
	began := time.Now()
	server, err := Nameserver(resolvConf)
	if err != nil {
		return Result{Job: job, Outcome: Error, Detail: "resolve " + job.Name + ": " + err.Error(), Elapsed: time.Since(began)}
	}
	addr, err := StartLookup(server, job.Name, job.Timeout).Finish(ctx)
	if err != nil {
		r := LookupFailed(job, job.Name, server, err)
		r.Elapsed = time.Since(began)
		return r
	}
	dial := job
	dial.Name, dial.Host = "", addr.String()
	r := Start(ctx, dial).Finish(ctx)
	r.Job = job
	return r
}

// LookupFailed is the result of a job whose name did not resolve: Blocked
// (Unresolved) when the query got no answer, as when policy blocks it, an
// Error otherwise (an answer that is not an address, a bad name).
func LookupFailed(job Job, name string, server netip.AddrPort, err error) Result {
	r := Result{Job: job, Outcome: Error, Detail: fmt.Sprintf("resolve %s through %s: %v", name, server, err)}
	if errors.Is(err, ErrUnresolved) {
		r.Outcome, r.Blocked = Blocked, Unresolved
	}
	return r
}

// RecordsAnswerer answers from a file of "name address" lines, read again
// whenever it changes, so that whoever writes it (WriteRecords, through an
// exec) updates a running DNS server. A file that cannot be read answers
// nothing, as a DNS server without the zone would.
func RecordsAnswerer(path string) DNSAnswerer {
	var mu sync.Mutex
	var modified time.Time
	records := map[string]netip.Addr{}
	return func(name string) (netip.Addr, bool) {
		mu.Lock()
		defer mu.Unlock()
		if info, err := os.Stat(path); err == nil && !info.ModTime().Equal(modified) {
			if read, err := readRecords(path); err == nil {
				records, modified = read, info.ModTime()
			}
		}
		addr, ok := records[name]
		return addr, ok
	}
}

func readRecords(path string) (map[string]netip.Addr, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	out := map[string]netip.Addr{}
	for _, line := range strings.Split(string(data), "\n") {
		fields := strings.Fields(line)
		if len(fields) != 2 {
			continue
		}
		if addr, err := netip.ParseAddr(fields[1]); err == nil {
			out[strings.ToLower(fields[0])] = addr
		}
	}
	return out, nil
}

// WriteRecords replaces the records file with one line per name=address,
// atomically, so that a server never reads half of it. Bad input names the
// argument.
func WriteRecords(path string, records []string) error {
	var b strings.Builder
	for _, r := range records {
		name, value, ok := strings.Cut(r, "=")
		if !ok || name == "" {
			return fmt.Errorf("record %q: want NAME=ADDRESS", r)
		}
		addr, err := netip.ParseAddr(value)
		if err != nil {
			return fmt.Errorf("record %q: %w", r, err)
		}
		fmt.Fprintf(&b, "%s %s\n", strings.ToLower(strings.TrimSuffix(name, ".")), addr)
	}
	tmp := path + ".new"
	if err := os.WriteFile(tmp, []byte(b.String()), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}
