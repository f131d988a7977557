package datapath

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/netpolcheck/netpolcheck/enforcer/compile"
)

// churnCell is one (from, to, port, protocol) cell of the churn test and
// whether each policy set allows it. The sets are small enough to read off
// by hand; the comments beside churnSetA and churnSetB say why.
type churnCell struct {
	from, to string
	port     uint16
	udp      bool
	inA, inB bool
}

func (c churnCell) never() bool { return !c.inA && !c.inB }

func (c churnCell) String() string {
	proto := "TCP"
	if c.udp {
		proto = "UDP"
	}
	return fmt.Sprintf("%s->%s:%d/%s", c.from, c.to, c.port, proto)
}

var churnCells = []churnCell{
	{"a", "b", 80, false, true, false},
	{"a", "b", 81, false, true, true},
	{"a", "b", 82, false, false, true},
	{"a", "b", 83, false, false, false},
	{"a", "b", 53, true, true, false},
	{"a", "b", 54, true, false, false},
	{"c", "b", 80, false, false, true},
	{"c", "b", 81, false, false, false},
	{"c", "b", 82, false, false, false},
	{"c", "b", 83, false, false, false},
	{"c", "b", 53, true, false, true},
	{"c", "b", 54, true, false, false},
	{"a", "c", 80, false, false, true},
	{"c", "a", 80, false, true, false},
	{"b", "a", 80, false, true, true},
}

// churnSetA: b admits a on 80 and 81/TCP and 53/UDP; a may reach b only.
// So c reaches nothing of b, a reaches nothing of c, and c may reach a.
func churnSetA() []*networkingv1.NetworkPolicy {
	return []*networkingv1.NetworkPolicy{
		policy("x", "b-from-a", "b", ingressFrom(podsWithApp("a"),
			ports(corev1.ProtocolTCP, 80, 81), ports(corev1.ProtocolUDP, 53, 53))),
		policy("x", "a-to-b", "a", types(networkingv1.PolicyTypeEgress), egressTo(podsWithApp("b"))),
	}
}

// churnSetB: b admits a on 81 and 82/TCP, c on 80/TCP and 53/UDP; c may
// reach b only. So a reaches c, and c no longer reaches a.
func churnSetB() []*networkingv1.NetworkPolicy {
	return []*networkingv1.NetworkPolicy{
		policy("x", "b-from-a-and-c", "b",
			ingressFrom(podsWithApp("a"), ports(corev1.ProtocolTCP, 81, 82)),
			ingressFrom(podsWithApp("c"), ports(corev1.ProtocolTCP, 80, 80), ports(corev1.ProtocolUDP, 53, 53))),
		policy("x", "c-to-b", "c", types(networkingv1.PolicyTypeEgress), egressTo(podsWithApp("b"))),
	}
}

func churnInput(pods map[string]*testPod, policies []*networkingv1.NetworkPolicy) compile.Input {
	in := compile.Input{
		Namespaces: []*corev1.Namespace{{ObjectMeta: metav1.ObjectMeta{Name: "x"}}},
		Policies:   policies,
		Local:      map[string]int{},
	}
	for _, name := range []string{"a", "b", "c"} {
		in.Pods = append(in.Pods, &corev1.Pod{
			ObjectMeta: metav1.ObjectMeta{Namespace: "x", Name: name, Labels: map[string]string{"app": name}},
			Status:     corev1.PodStatus{Phase: corev1.PodRunning, PodIP: pods[name].IP.String()},
		})
		in.Local["x/"+name] = pods[name].HostIndex
	}
	return in
}

// probeUDP sends one datagram and waits for its echo; an ICMP refusal
// counts as allowed, since the datagram reached the destination's stack.
func probeUDP(to netip.AddrPort, timeout time.Duration) (outcome, error) {
	conn, err := net.Dial("udp", to.String())
	if err != nil {
		return probeBlocked, err
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(timeout))
	if _, err := conn.Write([]byte("ok")); err != nil {
		return probeBlocked, err
	}
	_, err = conn.Read(make([]byte, 8))
	var netErr net.Error
	switch {
	case err == nil, errors.Is(err, syscall.ECONNREFUSED):
		return probeAllowed, nil
	case errors.As(err, &netErr) && netErr.Timeout():
		return probeBlocked, nil
	}
	return probeBlocked, err
}

// churnProbers send traffic on every cell from every source pod until
// stopped: TCP cells are dialled back to back, 5ms per attempt, and UDP
// cells get a datagram every half millisecond from one socket per pod.
type churnProbers struct {
	pods     map[string]*testPod
	tcp, udp atomic.Int64
	breaches tally
	stop     chan struct{}
	wg       sync.WaitGroup
}

func (p *churnProbers) start() {
	for _, from := range []string{"a", "b", "c"} {
		var tcpCells, udpCells []churnCell
		for _, c := range churnCells {
			switch {
			case c.from != from:
			case c.udp:
				udpCells = append(udpCells, c)
			default:
				tcpCells = append(tcpCells, c)
			}
		}
		path := netnsPath(p.pods[from].NetNS)
		p.wg.Go(func() {
			if err := inNetNS(path, func() error { return p.dialLoop(tcpCells) }); err != nil {
				p.breaches.fail(err)
			}
		})
		if len(udpCells) > 0 {
			p.wg.Go(func() {
				if err := inNetNS(path, func() error { return p.sendLoop(udpCells) }); err != nil {
					p.breaches.fail(err)
				}
			})
		}
	}
}

func (p *churnProbers) dialLoop(cells []churnCell) error {
	for i := 0; ; i++ {
		select {
		case <-p.stop:
			return nil
		default:
		}
		c := cells[i%len(cells)]
		o, err := dialOnce(netip.AddrPortFrom(p.pods[c.to].IP, c.port), 5*time.Millisecond)
		p.tcp.Add(1)
		if err != nil {
			return fmt.Errorf("probe %s: %w", c, err)
		}
		if o == probeAllowed && c.never() {
			p.breaches.fail(fmt.Errorf("%s allowed, though neither policy set allows it", c))
		}
	}
}

// sendLoop only sends: the counting servers tell which datagrams arrived.
func (p *churnProbers) sendLoop(cells []churnCell) error {
	conn, err := net.ListenPacket("udp", ":0")
	if err != nil {
		return fmt.Errorf("udp socket: %w", err)
	}
	defer conn.Close()
	for i := 0; ; i++ {
		select {
		case <-p.stop:
			return nil
		case <-time.After(500 * time.Microsecond):
		}
		c := cells[i%len(cells)]
		to := net.UDPAddrFromAddrPort(netip.AddrPortFrom(p.pods[c.to].IP, c.port))
		if _, err := conn.WriteTo([]byte("ok"), to); err != nil && !errors.Is(err, syscall.ECONNREFUSED) {
			return fmt.Errorf("send %s: %w", c, err)
		}
		p.udp.Add(1)
	}
}

func TestIntegrationPolicyChurn(t *testing.T) {
	requireKernel(t)
	podCIDR := netip.MustParsePrefix("192.168.82.0/24")
	node := newTestNode(t)
	pods := map[string]*testPod{}
	for i, name := range []string{"a", "b", "c"} {
		pods[name] = node.addPod(t, name, netip.AddrFrom4([4]byte{192, 168, 82, byte(i + 1)}), podCIDR)
	}
	tcpServers := map[string]*acceptCounter{}
	udpServers := map[string]*acceptCounter{}
	for _, c := range churnCells {
		key := fmt.Sprintf("%s:%d", c.to, c.port)
		switch {
		case c.udp && udpServers[key] == nil:
			udpServers[key] = serveCountingUDP(t, pods[c.to], c.port)
		case !c.udp && tcpServers[key] == nil:
			tcpServers[key] = serveCounting(t, pods[c.to], c.port)
		}
	}
	d := openTest(t, WithNetNS(node.path()))
	for _, name := range []string{"a", "b", "c"} {
		if err := d.Attach(pods[name].HostIndex); err != nil {
			t.Fatalf("Attach %s: %v", name, err)
		}
	}
	sets := [][]*networkingv1.NetworkPolicy{churnSetA(), churnSetB()}
	applySet := func(i int) {
		t.Helper()
		if _, err := d.Apply(compileOrFail(t, churnInput(pods, sets[i%2]))); err != nil {
			t.Fatalf("Apply set %d: %v", i%2, err)
		}
	}
	applySet(0)

	probers := &churnProbers{pods: pods, stop: make(chan struct{})}
	probers.start()
	start, applies := time.Now(), 1
	for applies < 200 || time.Since(start) < 2*time.Second {
		applySet(applies)
		applies++
		time.Sleep(time.Duration(rand.IntN(3000)) * time.Microsecond)
	}
	close(probers.stop)
	probers.wg.Wait()
	t.Logf("%d applies in %v, %d TCP probes, %d UDP datagrams", applies, time.Since(start).Round(time.Millisecond),
		probers.tcp.Load(), probers.udp.Load())
	if err := probers.breaches.err(); err != nil {
		t.Errorf("during churn: %v", err)
	}
	if probers.tcp.Load() < 100 || probers.udp.Load() < 100 {
		t.Errorf("%d TCP probes and %d datagrams during churn, want at least 100 of each", probers.tcp.Load(), probers.udp.Load())
	}

	// Then each set on its own, every cell probed once with time to spare:
	// the probes see exactly what the set allows.
	for i, name := range []string{"A", "B"} {
		applySet(i)
		got := probeCells(t, pods)
		for j, c := range churnCells {
			if want := (c.inA && i == 0) || (c.inB && i == 1); got[j] != want {
				t.Errorf("set %s alone: %s allowed %v, want %v", name, c, got[j], want)
			}
		}
	}

	// Servers behind cells no set allows never heard from their senders,
	// which also covers the TCP attempts that timed out on the client.
	for _, c := range churnCells {
		servers := tcpServers
		if c.udp {
			servers = udpServers
		}
		if n := servers[fmt.Sprintf("%s:%d", c.to, c.port)].from(pods[c.from].IP); c.never() && n != 0 {
			t.Errorf("%s: the server received %d times, want 0", c, n)
		}
	}
}

// probeCells probes every churn cell at once, each with a second to answer.
func probeCells(t *testing.T, pods map[string]*testPod) []bool {
	t.Helper()
	got := make([]bool, len(churnCells))
	errs := make([]error, len(churnCells))
	var wg sync.WaitGroup
	for i, c := range churnCells {
		wg.Go(func() {
			to := netip.AddrPortFrom(pods[c.to].IP, c.port)
			errs[i] = inNetNS(netnsPath(pods[c.from].NetNS), func() error {
				probe := dialOnce
				if c.udp {
					probe = probeUDP
				}
				o, err := probe(to, time.Second)
				got[i] = o == probeAllowed
				return err
			})
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatalf("probe cells: %v", err)
	}
	return got
}
