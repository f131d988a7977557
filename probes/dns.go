package probes

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"net"
	"net/netip"
	"regexp"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"golang.org/x/net/dns/dnsmessage"
)

// ClusterDomain is the DNS domain of Service names, kubelet's default.
const ClusterDomain = "cluster.local"

// ServiceDNSName is the name a Service of a namespace resolves by in the
// cluster's DNS: <service>.<namespace>.svc.cluster.local.
func ServiceDNSName(service, namespace string) string {
	return service + "." + namespace + ".svc." + ClusterDomain
}

// ServiceNameOf names the Service in front of the probe pod named pod, as
// every backend names it: "np-" and the pod's name, or, when that is no
// DNS-1035 label (pod names may be longer subdomains), "np-" and a hash.
func ServiceNameOf(pod string) string {
	name := "np-" + pod
	if dns1035Label.MatchString(name) && len(name) <= 63 {
		return name
	}
	h := fnv.New32a()
	h.Write([]byte(pod))
	return fmt.Sprintf("np-%08x", h.Sum32())
}

var dns1035Label = regexp.MustCompile(`^[a-z]([-a-z0-9]*[a-z0-9])?$`)

// DNSAnswerer gives the address of a name, false when it has none.
type DNSAnswerer func(name string) (netip.Addr, bool)

// answerDNS builds the reply to a DNS query for an A record; ok is false
// when msg is not a query at all, so that the datagram is read as a probe's.
// A name the answerer does not know gets NXDOMAIN, as CoreDNS answers.
func answerDNS(msg []byte, answer DNSAnswerer) (reply []byte, ok bool) {
	var p dnsmessage.Parser
	h, err := p.Start(msg)
	if err != nil || h.Response {
		return nil, false
	}
	q, err := p.Question()
	if err != nil {
		return nil, false
	}
	rh := dnsmessage.Header{ID: h.ID, Response: true, Authoritative: true, RecursionDesired: h.RecursionDesired}
	addr, known := answer(strings.TrimSuffix(strings.ToLower(q.Name.String()), "."))
	if !known {
		rh.RCode = dnsmessage.RCodeNameError
	}
	b := dnsmessage.NewBuilder(nil, rh)
	b.EnableCompression()
	if b.StartQuestions() != nil || b.Question(q) != nil || b.StartAnswers() != nil {
		return nil, false
	}
	if known && q.Type == dnsmessage.TypeA && addr.Is4() {
		rr := dnsmessage.ResourceHeader{Name: q.Name, Type: dnsmessage.TypeA, Class: dnsmessage.ClassINET, TTL: 5}
		if b.AResource(rr, dnsmessage.AResource{A: addr.As4()}) != nil {
			return nil, false
		}
	}
	reply, err = b.Finish()
	return reply, err == nil
}

// dnsQuery builds a recursive A query for name with the given ID.
func dnsQuery(id uint16, name string) ([]byte, error) {
	n, err := dnsmessage.NewName(strings.TrimSuffix(name, ".") + ".")
	if err != nil {
		return nil, fmt.Errorf("name %q: %w", name, err)
	}
	b := dnsmessage.NewBuilder(nil, dnsmessage.Header{ID: id, RecursionDesired: true})
	if err := b.StartQuestions(); err != nil {
		return nil, err
	}
	if err := b.Question(dnsmessage.Question{Name: n, Type: dnsmessage.TypeA, Class: dnsmessage.ClassINET}); err != nil {
		return nil, err
	}
	return b.Finish()
}

// errNotForUs marks a datagram that is not the reply to our query.
var errNotForUs = errors.New("not the reply to this query")

// dnsAddress reads the first A record of the reply to query id.
func dnsAddress(msg []byte, id uint16) (netip.Addr, error) {
	var p dnsmessage.Parser
	h, err := p.Start(msg)
	if err != nil || !h.Response || h.ID != id {
		return netip.Addr{}, errNotForUs
	}
	if h.RCode != dnsmessage.RCodeSuccess {
		return netip.Addr{}, fmt.Errorf("the DNS server answered %s", h.RCode)
	}
	if err := p.SkipAllQuestions(); err != nil {
		return netip.Addr{}, err
	}
	for {
		rh, err := p.AnswerHeader()
		if errors.Is(err, dnsmessage.ErrSectionDone) {
			return netip.Addr{}, errors.New("the DNS server answered no address")
		}
		if err != nil {
			return netip.Addr{}, err
		}
		if rh.Type != dnsmessage.TypeA {
			if err := p.SkipAnswer(); err != nil {
				return netip.Addr{}, err
			}
			continue
		}
		a, err := p.AResource()
		if err != nil {
			return netip.Addr{}, err
		}
		return netip.AddrFrom4(a.A), nil
	}
}

// ErrUnresolved is the error of a lookup whose query got no answer, or a
// refusal: the server could not be reached, as a policy that blocks DNS
// makes it. A server that answers, even NXDOMAIN, is reached.
var ErrUnresolved = errors.New("the name did not resolve: no answer from the DNS server")

// Lookup is an A query sent from the namespace of the thread that started
// it; Finish waits for the answer on any goroutine. It is how a probe by
// DNS name resolves before it connects, with the source's own sockets.
type Lookup struct {
	name    string
	id      uint16
	conn    *net.UDPConn
	began   time.Time
	timeout time.Duration
	err     error
	// monotonic is began on CLOCK_MONOTONIC, for a DropWatch.
	monotonic time.Duration
}

// StartLookup sends the query for name to server on the calling thread,
// whose network namespace the socket then belongs to.
func StartLookup(server netip.AddrPort, name string, timeout time.Duration) *Lookup {
	l := &Lookup{name: name, id: uint16(rand.N(1 << 16)), began: time.Now(), timeout: cmpTimeout(timeout), monotonic: monotonicNow()}
	query, err := dnsQuery(l.id, name)
	if err != nil {
		l.err = err
		return l
	}
	if l.conn, l.err = net.DialUDP("udp4", nil, net.UDPAddrFromAddrPort(server)); l.err != nil {
		return l
	}
	if _, err := l.conn.Write(query); err != nil {
		l.err = err
	}
	return l
}

func cmpTimeout(t time.Duration) time.Duration {
	if t <= 0 {
		return DefaultTimeout
	}
	return t
}

// Finish waits for the answer until the lookup's timeout, counted from
// StartLookup, or until ctx ends, and closes the socket. It returns
// ErrUnresolved (wrapped) when no answer came or the server was refused.
func (l *Lookup) Finish(ctx context.Context) (netip.Addr, error) {
	return l.FinishWatched(ctx, Job{}, nil)
}

// FinishWatched is Finish that also ends, unresolved, as soon as watch
// reports the query dropped; query describes the query to watch (its
// source, its server as To, Host and Port, UDP). A nil watch is Finish.
func (l *Lookup) FinishWatched(ctx context.Context, query Job, watch DropWatch) (netip.Addr, error) {
	if l.conn == nil {
		return netip.Addr{}, l.err
	}
	defer l.conn.Close()
	if l.err != nil {
		return netip.Addr{}, unresolvedOr(l.err)
	}
	deadline := l.began.Add(l.timeout)
	if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
		deadline = d
	}
	stop := context.AfterFunc(ctx, func() { l.conn.SetReadDeadline(time.Now()) })
	defer stop()
	l.conn.SetReadDeadline(deadline)
	var dropped atomic.Bool
	if local, ok := l.conn.LocalAddr().(*net.UDPAddr); ok && watch != nil && l.monotonic > 0 {
		ap := local.AddrPort()
		defer watch(query, netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port()), l.monotonic, func() {
			dropped.Store(true)
			l.conn.SetReadDeadline(time.Now())
		})()
	}
	buf := make([]byte, 512)
	for {
		n, err := l.conn.Read(buf)
		if err != nil {
			if ctx.Err() != nil {
				return netip.Addr{}, fmt.Errorf("interrupted: %w", ctx.Err())
			}
			if dropped.Load() {
				return netip.Addr{}, fmt.Errorf("%w (the network logged the drop of the query after %s)", ErrUnresolved, time.Since(l.began).Round(time.Microsecond))
			}
			return netip.Addr{}, unresolvedOr(err)
		}
		addr, err := dnsAddress(buf[:n], l.id)
		if errors.Is(err, errNotForUs) {
			continue
		}
		return addr, err
	}
}

// unresolvedOr reads a timeout or a refusal (an ICMP unreachable surfaces
// as ECONNREFUSED on a connected UDP socket) as ErrUnresolved.
func unresolvedOr(err error) error {
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() || errors.Is(err, syscall.ECONNREFUSED) {
		return fmt.Errorf("%w (%v)", ErrUnresolved, err)
	}
	return err
}
