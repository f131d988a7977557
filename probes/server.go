package probes

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"slices"
	"sync"
	"sync/atomic"

	"golang.org/x/sys/unix"
)

// Server answers probes on a set of ports with one identity. Make one with Serve.
type Server struct {
	identity  string
	ports     []PortSpec
	endpoints []endpoint

	wg sync.WaitGroup
	mu sync.Mutex
	// conns are the connections being answered, closed by Close so that it
	// never waits for a slow or silent client.
	conns  map[io.Closer]struct{}
	closed bool

	stopWatch func() bool
	closeOnce sync.Once
	closeErr  error

	// dns, when set, answers DNS queries that reach a UDP port (AnswerDNS).
	dns atomic.Pointer[DNSAnswerer]
}

// AnswerDNS makes every UDP port of the server also answer DNS queries for
// A records, with answer: the server then stands for a cluster's DNS. A
// datagram that is a probe's request is still answered with the identity.
func (s *Server) AnswerDNS(answer DNSAnswerer) { s.dns.Store(&answer) }

// endpoint is one bound socket: serve runs until the socket is closed.
type endpoint struct {
	socket io.Closer
	serve  func()
}

// Serve binds every port on 0.0.0.0 before it returns, then answers in
// background goroutines every TCP connection, UDP datagram and SCTP
// association with identity, until ctx ends or Close is called.
//
// The sockets are created on the calling goroutine's OS thread, so a caller
// that locked its thread and entered a network namespace gets its sockets in
// that namespace; the goroutines that serve them may run anywhere. Port 0
// binds a port the kernel picks; Ports tells which.
func Serve(ctx context.Context, identity string, ports []PortSpec) (*Server, error) {
	if err := validateIdentity(identity); err != nil {
		return nil, fmt.Errorf("serve: %w", err)
	}
	if len(ports) == 0 {
		return nil, errors.New("serve: no ports given")
	}
	s := newServer(identity)
	for _, p := range ports {
		if err := s.bind(ctx, p); err != nil {
			_ = s.closeSockets()
			return nil, fmt.Errorf("serve: bind %s: %w", p, err)
		}
	}
	s.start(ctx)
	return s, nil
}

func newServer(identity string) *Server {
	return &Server{identity: identity, conns: map[io.Closer]struct{}{}}
}

// start serves every bound socket; it is apart from binding so that no
// goroutine runs until every port is bound.
func (s *Server) start(ctx context.Context) {
	for _, e := range s.endpoints {
		s.wg.Go(e.serve)
	}
	s.stopWatch = context.AfterFunc(ctx, func() { _ = s.Close() })
}

func (s *Server) bind(ctx context.Context, p PortSpec) error {
	protocol, err := normalizeProtocol(p.Protocol)
	if err != nil {
		return err
	}
	if p.Port < 0 || p.Port > 65535 {
		return fmt.Errorf("port number must be 0-65535, not %d", p.Port)
	}
	switch protocol {
	case TCP:
		l, err := listenTCP(ctx, p.Port)
		if err != nil {
			return err
		}
		s.add(l, TCP, l.Addr().(*net.TCPAddr).Port, func() { s.acceptLoop(tcpListener{l}) })
	case UDP:
		c, err := listenUDP(ctx, p.Port)
		if err != nil {
			return err
		}
		s.add(c, UDP, c.LocalAddr().(*net.UDPAddr).Port, func() { s.answerDatagrams(c) })
	case SCTP:
		l, err := listenStream(unix.IPPROTO_SCTP, p.Port)
		if err != nil {
			return err
		}
		s.addRawStream(l, SCTP)
	}
	return nil
}

// addRawStream serves a raw stream listener under the given protocol name.
func (s *Server) addRawStream(l *rawListener, protocol string) {
	s.add(l, protocol, int(l.port), func() { s.acceptLoop(l) })
}

func (s *Server) add(socket io.Closer, protocol string, port int, serve func()) {
	s.endpoints = append(s.endpoints, endpoint{socket: socket, serve: serve})
	s.ports = append(s.ports, PortSpec{Port: int32(port), Protocol: protocol})
}

// Ports returns the ports the server listens on, with the numbers the kernel
// picked for any port 0, in the order Serve was given them.
func (s *Server) Ports() []PortSpec {
	return slices.Clone(s.ports)
}

// Close closes every socket and connection and waits for the goroutines that
// served them. It is safe to call more than once.
func (s *Server) Close() error {
	s.closeOnce.Do(func() {
		s.stopWatch()
		s.closeErr = s.closeSockets()
		s.wg.Wait()
	})
	return s.closeErr
}

func (s *Server) closeSockets() error {
	s.mu.Lock()
	s.closed = true
	conns := s.conns
	s.conns = nil
	s.mu.Unlock()
	var errs []error
	for _, e := range s.endpoints {
		if err := e.socket.Close(); err != nil && !errors.Is(err, net.ErrClosed) && !errors.Is(err, os.ErrClosed) {
			errs = append(errs, err)
		}
	}
	for c := range conns {
		_ = c.Close()
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("close server %s: %w", s.identity, err)
	}
	return nil
}

// track records a connection being answered; it returns false once the server
// is closing, and the caller then drops the connection.
func (s *Server) track(c io.Closer) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return false
	}
	s.conns[c] = struct{}{}
	return true
}

func (s *Server) untrack(c io.Closer) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.conns, c)
}

func (s *Server) isClosed() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.closed
}
