package probes

import (
	"context"
	"io"
	"net"
	"strconv"
	"time"
)

// streamConn is what answering a stream needs; net.Conn and *os.File (for the
// raw SCTP sockets) both provide it.
type streamConn interface {
	io.ReadWriteCloser
	SetDeadline(time.Time) error
}

// streamListener accepts TCP connections or SCTP associations.
type streamListener interface {
	Accept() (streamConn, error)
}

// tcpListener adapts a net.Listener to streamListener.
type tcpListener struct{ net.Listener }

func (l tcpListener) Accept() (streamConn, error) {
	return l.Listener.Accept()
}

// answerTimeout bounds how long a server waits for a client's request line, so
// that a client that connects and says nothing does not hold a goroutine.
const answerTimeout = 5 * time.Second

// Accept failures other than closing (running out of file descriptors) are
// retried after a pause that grows up to maxAcceptPause.
const (
	minAcceptPause = 5 * time.Millisecond
	maxAcceptPause = time.Second
)

func listenTCP(ctx context.Context, port int32) (net.Listener, error) {
	var lc net.ListenConfig
	return lc.Listen(ctx, "tcp4", net.JoinHostPort("0.0.0.0", strconv.Itoa(int(port))))
}

func (s *Server) acceptLoop(l streamListener) {
	pause := minAcceptPause
	for {
		conn, err := l.Accept()
		if err != nil {
			if s.isClosed() {
				return
			}
			time.Sleep(pause)
			pause = min(2*pause, maxAcceptPause)
			continue
		}
		pause = minAcceptPause
		if !s.track(conn) {
			_ = conn.Close()
			return
		}
		s.wg.Go(func() {
			defer s.untrack(conn)
			answerStream(conn, s.identity)
		})
	}
}

// heldIdleTimeout bounds how long a server waits for the next request on a
// connection that was answered already. Probes close after one answer; a
// held connection (probe hold) sends more while a behaviour probe changes
// policies and waits for them to take effect, which takes seconds.
const heldIdleTimeout = 2 * time.Minute

// answerStream answers each request line with the identity until the client
// closes. A client that sends no request gets no answer: the protocol is
// request first.
func answerStream(conn streamConn, identity string) {
	defer conn.Close()
	wait := answerTimeout
	for {
		_ = conn.SetDeadline(time.Now().Add(wait))
		if _, err := readLine(conn); err != nil {
			return
		}
		if _, err := conn.Write([]byte(identity + "\n")); err != nil {
			return
		}
		wait = heldIdleTimeout
	}
}
