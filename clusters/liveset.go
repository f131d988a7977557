package clusters

import (
	"errors"
	"sync"
)

// ErrClosed is returned when a cluster is asked of a backend that is closed.
var ErrClosed = errors.New("backend is closed")

// LiveSet is the clusters a backend has made and not yet torn down, which
// its Close must tear down. Both backends keep one, so that a cluster is
// numbered, recorded and dropped the same way everywhere, and none made
// after Close escapes it. The zero value is ready to use.
type LiveSet[C comparable] struct {
	mu     sync.Mutex
	closed bool
	next   int
	live   map[C]struct{}
}

// Add makes a cluster with the next number (0, 1, ...) and records it. make
// runs under the set's lock, so numbers and records never race; Add fails
// with ErrClosed once Close has been called.
func (s *LiveSet[C]) Add(make func(n int) (C, error)) (C, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var zero C
	if s.closed {
		return zero, ErrClosed
	}
	c, err := make(s.next)
	if err != nil {
		return zero, err
	}
	s.next++
	if s.live == nil {
		s.live = map[C]struct{}{}
	}
	s.live[c] = struct{}{}
	return c, nil
}

// Forget drops a torn-down cluster.
func (s *LiveSet[C]) Forget(c C) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.live, c)
}

// Close marks the set closed and returns the clusters still live, for the
// backend to tear down; first is false when it was closed already.
func (s *LiveSet[C]) Close() (live []C, first bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil, false
	}
	s.closed = true
	for c := range s.live {
		live = append(live, c)
	}
	return live, true
}

// Len is how many clusters are live.
func (s *LiveSet[C]) Len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.live)
}
