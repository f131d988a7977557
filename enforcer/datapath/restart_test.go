package datapath

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/netpolcheck/netpolcheck/enforcer/compile"
)

// The restart test's cells: a to b on 80/TCP is allowed, on 81/TCP denied.
const (
	restartAllowedPort = 80
	restartDeniedPort  = 81
)

// compileRestartPolicies is the policy both enforcer processes apply: b
// admits a on 80/TCP only and may start nothing itself, and a admits
// nothing, so the echo session's replies pass only through conntrack.
func compileRestartPolicies(c enforcerChild) (*compile.Tables, error) {
	pod := func(name, ip string) *corev1.Pod {
		return &corev1.Pod{
			ObjectMeta: metav1.ObjectMeta{Namespace: "x", Name: name, Labels: map[string]string{"app": name}},
			Status:     corev1.PodStatus{Phase: corev1.PodRunning, PodIP: ip},
		}
	}
	in := compile.Input{
		Namespaces: []*corev1.Namespace{{ObjectMeta: metav1.ObjectMeta{Name: "x"}}},
		Pods:       []*corev1.Pod{pod("a", c.A), pod("b", c.B)},
		Policies: []*networkingv1.NetworkPolicy{
			policy("x", "b", "b", types(networkingv1.PolicyTypeIngress, networkingv1.PolicyTypeEgress),
				ingressFrom(podsWithApp("a"), ports(corev1.ProtocolTCP, restartAllowedPort, restartAllowedPort))),
			policy("x", "a", "a", types(networkingv1.PolicyTypeIngress)),
		},
		Local: map[string]int{"x/a": c.AIfindex, "x/b": c.BIfindex},
	}
	tables, err := compile.Compile(in)
	if err != nil {
		return nil, fmt.Errorf("compile restart policies: %w", err)
	}
	return tables, nil
}

// childProcess is a running enforcer child.
type childProcess struct {
	cmd    *exec.Cmd
	stdin  io.WriteCloser
	stderr bytes.Buffer
	done   chan error
}

// startEnforcerChild starts the test binary as an enforcer and returns its
// ready line. The child is killed when the test ends, if still running.
func startEnforcerChild(tb testing.TB, spec enforcerChild) (*childProcess, string) {
	tb.Helper()
	raw, err := json.Marshal(spec)
	if err != nil {
		tb.Fatalf("encode child spec: %v", err)
	}
	c := &childProcess{cmd: exec.Command(os.Args[0], "-test.run=^$"), done: make(chan error, 1)}
	c.cmd.Env = append(os.Environ(), childEnv+"="+string(raw))
	c.cmd.Stderr = &c.stderr
	stdout, err := c.cmd.StdoutPipe()
	if err != nil {
		tb.Fatalf("child stdout: %v", err)
	}
	if c.stdin, err = c.cmd.StdinPipe(); err != nil {
		tb.Fatalf("child stdin: %v", err)
	}
	if err := c.cmd.Start(); err != nil {
		tb.Fatalf("start child: %v", err)
	}
	lines := make(chan string, 1)
	go func() {
		line, _ := bufio.NewReader(stdout).ReadString('\n')
		lines <- line
		io.Copy(io.Discard, stdout)
		c.done <- c.cmd.Wait()
	}()
	tb.Cleanup(func() { c.kill(tb) })

	select {
	case line := <-lines:
		if line == "" {
			c.kill(tb)
			tb.Fatalf("child exited before ready: %s", c.stderr.String())
		}
		return c, line[:len(line)-1]
	case <-time.After(60 * time.Second):
		c.kill(tb)
		tb.Fatalf("child not ready after 60s: %s", c.stderr.String())
	}
	return nil, ""
}

// kill sends SIGKILL, as a node's OOM killer or a crash would, and waits.
func (c *childProcess) kill(tb testing.TB) {
	tb.Helper()
	if c.done == nil {
		return
	}
	if err := c.cmd.Process.Signal(syscall.SIGKILL); err != nil && !errors.Is(err, os.ErrProcessDone) {
		tb.Errorf("kill child %d: %v", c.cmd.Process.Pid, err)
	}
	<-c.done
	c.done = nil
	c.stdin.Close()
}

// echoSession is one TCP connection from a to b's echo port that keeps
// exchanging numbered messages until stopped.
type echoSession struct {
	client, server *net.TCPConn
	rounds         atomic.Int64
	failed         atomic.Pointer[error]
	stop           chan struct{}
	// talked is closed when talk has returned: the client's write side
	// may close only then, or a round under way writes into a closed pipe.
	talked chan struct{}
	wg     sync.WaitGroup
}

func startEchoSession(tb testing.TB, from, to *testPod, port uint16) *echoSession {
	tb.Helper()
	ln := to.ListenTCP(tb, port)
	defer ln.Close()
	s := &echoSession{stop: make(chan struct{}), talked: make(chan struct{})}
	accepted := make(chan net.Conn, 1)
	go func() {
		conn, _ := ln.Accept()
		accepted <- conn
	}()
	var conn net.Conn
	err := inNetNS(netnsPath(from.NetNS), func() (err error) {
		conn, err = net.DialTimeout("tcp", netip.AddrPortFrom(to.IP, port).String(), 5*time.Second)
		return err
	})
	if err != nil {
		tb.Fatalf("open echo session: %v", err)
	}
	server := <-accepted
	if server == nil {
		conn.Close()
		tb.Fatalf("echo session: accept failed")
	}
	s.client, s.server = conn.(*net.TCPConn), server.(*net.TCPConn)
	tb.Cleanup(func() { s.client.Close(); s.server.Close() })
	s.wg.Go(func() { io.Copy(s.server, s.server) })
	s.wg.Go(func() { defer close(s.talked); s.talk() })
	return s
}

// talk sends a sequence number every 2ms and expects it back.
func (s *echoSession) talk() {
	out, in := make([]byte, 8), make([]byte, 8)
	for seq := uint64(1); ; seq++ {
		select {
		case <-s.stop:
			return
		case <-time.After(2 * time.Millisecond):
		}
		binary.BigEndian.PutUint64(out, seq)
		s.client.SetDeadline(time.Now().Add(5 * time.Second))
		_, err := s.client.Write(out)
		if err == nil {
			_, err = io.ReadFull(s.client, in)
		}
		if err == nil && !bytes.Equal(in, out) {
			err = fmt.Errorf("sent %x, echoed %x", out, in)
		}
		if err != nil {
			err = fmt.Errorf("round %d: %w", seq, err)
			s.failed.Store(&err)
			return
		}
		s.rounds.Add(1)
	}
}

// finish stops talking and returns the segments each end had to send again:
// every packet the enforcer dropped on the session forced a retransmission.
func (s *echoSession) finish(tb testing.TB) (clientRetrans, serverRetrans uint32) {
	tb.Helper()
	close(s.stop)
	<-s.talked
	s.client.CloseWrite()
	s.wg.Wait()
	if err := s.failed.Load(); err != nil {
		tb.Errorf("echo session: %v", *err)
	}
	return totalRetrans(tb, s.client), totalRetrans(tb, s.server)
}

func totalRetrans(tb testing.TB, conn *net.TCPConn) uint32 {
	tb.Helper()
	raw, err := conn.SyscallConn()
	if err != nil {
		tb.Fatalf("raw conn: %v", err)
	}
	var info *unix.TCPInfo
	var infoErr error
	if err := raw.Control(func(fd uintptr) {
		info, infoErr = unix.GetsockoptTCPInfo(int(fd), unix.IPPROTO_TCP, unix.TCP_INFO)
	}); err != nil {
		tb.Fatalf("control: %v", err)
	}
	if infoErr != nil {
		tb.Fatalf("TCP_INFO: %v", infoErr)
	}
	return info.Total_retrans
}

// deniedProber dials the denied cell back to back, 5ms per attempt, from
// the pod's namespace, and records any attempt that got through.
type deniedProber struct {
	tally
	phase atomic.Pointer[string]
	stop  chan struct{}
	done  chan struct{}
}

func startDeniedProber(from *testPod, to netip.AddrPort, phase string) *deniedProber {
	p := &deniedProber{stop: make(chan struct{}), done: make(chan struct{})}
	p.phase.Store(&phase)
	go func() {
		defer close(p.done)
		err := inNetNS(netnsPath(from.NetNS), func() error {
			for {
				select {
				case <-p.stop:
					return nil
				default:
				}
				o, err := dialOnce(to, 5*time.Millisecond)
				n := p.probes.Add(1)
				if err != nil {
					return fmt.Errorf("probe %d (%s): %w", n, *p.phase.Load(), err)
				}
				if o == probeAllowed {
					p.fail(fmt.Errorf("probe %d (%s): denied cell %s allowed", n, *p.phase.Load(), to))
				}
			}
		})
		if err != nil {
			p.fail(err)
		}
	}()
	return p
}

func (p *deniedProber) enter(phase string) { p.phase.Store(&phase) }

func TestIntegrationEnforcerRestart(t *testing.T) {
	requireKernel(t)
	podCIDR := netip.MustParsePrefix("192.168.81.0/24")
	node := newTestNode(t)
	a := node.addPod(t, "a", netip.MustParseAddr("192.168.81.1"), podCIDR)
	b := node.addPod(t, "b", netip.MustParseAddr("192.168.81.2"), podCIDR)
	denied := netip.AddrPortFrom(b.IP, restartDeniedPort)
	deniedServer := serveCounting(t, b, restartDeniedPort)
	root := testPinRoot(t)
	spec := enforcerChild{
		PinRoot: root, NetNS: node.path(), Instance: "restart",
		A: a.IP.String(), B: b.IP.String(), AIfindex: a.HostIndex, BIfindex: b.HostIndex,
	}
	// Whatever happens, unpin and detach before the bpffs is unmounted.
	t.Cleanup(func() {
		if d, err := Open(spec.Instance, WithPinRoot(root), WithNetNS(node.path())); err == nil {
			d.Close()
		}
	})

	// Unenforced, the probe sees the denied cell open: it can tell.
	var before outcome
	if err := inNetNS(netnsPath(a.NetNS), func() (err error) { before, err = dialOnce(denied, 5*time.Second); return err }); err != nil {
		t.Fatalf("probe before enforcement: %v", err)
	}
	if before != probeAllowed {
		t.Fatalf("probe before enforcement: blocked, want allowed")
	}

	first, ready := startEnforcerChild(t, spec)
	if want := "ready adopted=0 opened=0 generation=1"; ready != want {
		t.Fatalf("first child: %q, want %q", ready, want)
	}
	prober := startDeniedProber(a, denied, "first child enforcing")
	session := startEchoSession(t, a, b, restartAllowedPort)

	type phase struct {
		name           string
		probes, rounds int64
	}
	var phases []phase
	hold := func(name string) {
		prober.enter(name)
		probes, rounds := prober.probes.Load(), session.rounds.Load()
		time.Sleep(300 * time.Millisecond)
		phases = append(phases, phase{name, prober.probes.Load() - probes, session.rounds.Load() - rounds})
	}
	hold("first child enforcing")
	first.kill(t)
	hold("first child killed")

	second, ready := startEnforcerChild(t, spec)
	if want := "ready adopted=2 opened=1 generation=2"; ready != want {
		t.Errorf("second child: %q, want %q", ready, want)
	}
	hold("second child enforcing")
	second.kill(t)
	hold("second child killed")

	close(prober.stop)
	<-prober.done
	clientRetrans, serverRetrans := session.finish(t)
	if err := prober.err(); err != nil {
		t.Errorf("denied prober: %v", err)
	}
	for _, p := range phases {
		t.Logf("%s: %d probes of the denied cell, %d echo rounds", p.name, p.probes, p.rounds)
		if p.probes < 5 || p.rounds < 5 {
			t.Errorf("%s: %d probes and %d echo rounds in 300ms, want at least 5 of each", p.name, p.probes, p.rounds)
		}
	}
	if clientRetrans != 0 || serverRetrans != 0 {
		t.Errorf("echo session retransmitted %d segments from a and %d from b, want 0: the enforcer dropped some",
			clientRetrans, serverRetrans)
	}
	if got := deniedServer.from(a.IP); got != 1 {
		t.Errorf("denied server accepted %d connections from a, want 1 (the probe before enforcement)", got)
	}

	// The pins outlived both children; a last Open finds them and Close
	// removes every link and pin.
	d, err := Open(spec.Instance, WithPinRoot(root), WithNetNS(node.path()))
	if err != nil {
		t.Fatalf("Open after both children: %v", err)
	}
	want := []int{min(a.HostIndex, b.HostIndex), max(a.HostIndex, b.HostIndex)}
	if got := d.Attached(); len(got) != 2 || got[0] != want[0] || got[1] != want[1] || d.Generation() != 2 {
		t.Errorf("after both children: attached %v generation %d, want %v generation 2", got, d.Generation(), want)
	}
	ids := programIDs(t, d)
	if err := d.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if got := hookProgramsOf(t, ids); len(got) != 0 {
		t.Errorf("hook links left after Close: %v", got)
	}
	if left, err := filepath.Glob(filepath.Join(root, "*")); err != nil || len(left) != 0 {
		t.Errorf("pins left: %v %v", left, err)
	}
}
