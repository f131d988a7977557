package probes

import (
	"context"
	"fmt"
	"net"
	"strconv"
	"testing"
	"time"
)

func TestServeRejects(t *testing.T) {
	busy, err := net.Listen("tcp4", "0.0.0.0:0")
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	defer busy.Close()
	busyPort := int32(busy.Addr().(*net.TCPAddr).Port)
	tests := []struct {
		name     string
		identity string
		ports    []PortSpec
		wantErr  string
	}{
		{"empty identity", "", []PortSpec{{0, TCP}}, "serve: identity is empty"},
		{"spaced identity", "x a", []PortSpec{{0, TCP}}, `serve: identity "x a" holds a space or control character`},
		{"no ports", "x/a", nil, "serve: no ports given"},
		{"bad protocol", "x/a", []PortSpec{{0, "ICMP"}}, `serve: bind 0/ICMP: protocol must be TCP, UDP or SCTP, not "ICMP"`},
		{"negative port", "x/a", []PortSpec{{-1, TCP}}, "serve: bind -1/TCP: port number must be 0-65535, not -1"},
		{"port too big", "x/a", []PortSpec{{65536, UDP}}, "serve: bind 65536/UDP: port number must be 0-65535, not 65536"},
		{"port in use", "x/a", []PortSpec{{0, UDP}, {busyPort, TCP}},
			fmt.Sprintf("serve: bind %d/TCP: listen tcp4 0.0.0.0:%d: bind: address already in use", busyPort, busyPort)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := Serve(context.Background(), tt.identity, tt.ports)
			if err == nil {
				_ = s.Close()
				t.Fatalf("Serve succeeded, want %q", tt.wantErr)
			}
			if err.Error() != tt.wantErr {
				t.Errorf("Serve error = %q, want %q", err, tt.wantErr)
			}
		})
	}
}

func TestServeReleasesPortsOnFailure(t *testing.T) {
	free := closedPort(t)
	busy, err := net.Listen("tcp4", "0.0.0.0:0")
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	defer busy.Close()
	busyPort := int32(busy.Addr().(*net.TCPAddr).Port)
	if _, err := Serve(context.Background(), "x/a", []PortSpec{{free, UDP}, {busyPort, TCP}}); err == nil {
		t.Fatal("Serve succeeded on a busy port")
	}
	c, err := net.ListenPacket("udp4", net.JoinHostPort("0.0.0.0", strconv.Itoa(int(free))))
	if err != nil {
		t.Fatalf("UDP port %d still bound after the failed Serve: %v", free, err)
	}
	_ = c.Close()
}

func TestServerPorts(t *testing.T) {
	fixed := closedPort(t)
	s, err := Serve(context.Background(), "x/a", []PortSpec{{fixed, "udp"}, {0, TCP}})
	if err != nil {
		t.Fatalf("Serve: %v", err)
	}
	defer s.Close()
	got := s.Ports()
	if len(got) != 2 || got[0] != (PortSpec{fixed, UDP}) || got[1].Protocol != TCP || got[1].Port == 0 {
		t.Errorf("Ports() = %v, want [%d/UDP <picked>/TCP]", got, fixed)
	}
	got[0].Port = 1
	if s.Ports()[0].Port != fixed {
		t.Error("Ports() returned the server's own slice")
	}
}

// TestServerCloseDoesNotWaitForClients: a client that connects and says
// nothing would hold its goroutine for answerTimeout; Close must cut it off.
func TestServerCloseDoesNotWaitForClients(t *testing.T) {
	s, err := Serve(context.Background(), "x/a", []PortSpec{{0, TCP}, {0, UDP}})
	if err != nil {
		t.Fatalf("Serve: %v", err)
	}
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(int(s.Ports()[0].Port)))
	conn, err := net.Dial("tcp4", addr)
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	defer conn.Close()
	time.Sleep(50 * time.Millisecond) // let the server accept it
	start := time.Now()
	if err := s.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
	if took := time.Since(start); took > time.Second {
		t.Errorf("Close took %s, want it not to wait for the silent client", took)
	}
	if err := s.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if _, err := net.Dial("tcp4", addr); err == nil {
		t.Errorf("dial %s after Close succeeded", addr)
	}
}

func TestServeStopsWithContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	s, err := Serve(ctx, "x/a", []PortSpec{{0, TCP}})
	if err != nil {
		t.Fatalf("Serve: %v", err)
	}
	job := Job{Host: "127.0.0.1", Port: s.Ports()[0].Port, Protocol: TCP}
	if got := Run(context.Background(), job); got.Outcome != Allowed {
		t.Fatalf("before cancel: Run = %s, %q", got.Outcome, got.Detail)
	}
	cancel()
	deadline := time.Now().Add(time.Second)
	for {
		got := Run(context.Background(), job)
		if got.Outcome == Blocked && got.Detail == "connect: refused: connection refused" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("a second after cancel: Run = %s, %q; want refused", got.Outcome, got.Detail)
		}
		time.Sleep(10 * time.Millisecond)
	}
	if err := s.Close(); err != nil {
		t.Errorf("Close after cancel: %v", err)
	}
}

func TestServeIgnoresStrayDatagrams(t *testing.T) {
	port := serveLoopback(t, "x/a", UDP)[0]
	conn, err := net.Dial("udp4", net.JoinHostPort("127.0.0.1", strconv.Itoa(int(port))))
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	defer conn.Close()
	buf := make([]byte, maxDatagram)
	for _, stray := range []string{"hello", "netpolcheck x/b", "netpolcheck x/b no;nonce"} {
		if _, err := conn.Write([]byte(stray)); err != nil {
			t.Fatalf("write: %v", err)
		}
	}
	_ = conn.SetReadDeadline(time.Now().Add(100 * time.Millisecond))
	if n, err := conn.Read(buf); err == nil {
		t.Fatalf("server answered a stray datagram with %q", buf[:n])
	}
	if _, err := conn.Write([]byte("netpolcheck x/b 42")); err != nil {
		t.Fatalf("write: %v", err)
	}
	_ = conn.SetReadDeadline(time.Now().Add(time.Second))
	n, err := conn.Read(buf)
	if err != nil || string(buf[:n]) != "x/a 42" {
		t.Errorf("reply = %q, %v; want %q", buf[:n], err, "x/a 42")
	}
}

func TestServeAnswersTCPRequest(t *testing.T) {
	port := serveLoopback(t, "x/a", TCP)[0]
	conn, err := net.Dial("tcp4", net.JoinHostPort("127.0.0.1", strconv.Itoa(int(port))))
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(time.Second))
	if _, err := conn.Write([]byte("netpolcheck y/b\n")); err != nil {
		t.Fatalf("write: %v", err)
	}
	buf := make([]byte, 64)
	var got []byte
	for {
		n, err := conn.Read(buf)
		got = append(got, buf[:n]...)
		if err != nil {
			break
		}
	}
	if string(got) != "x/a\n" {
		t.Errorf("server sent %q then closed, want %q", got, "x/a\n")
	}
}
