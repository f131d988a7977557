package kube

import (
	"context"
	"fmt"
	"slices"
	"sync"
)

// addressLocks keeps external host addresses to one live cluster at a time:
// scenarios running in parallel often put differently named hosts on the same
// address, and one address can answer with only one identity.
type addressLocks struct {
	mu    sync.Mutex
	slots map[string]chan struct{}
}

func newAddressLocks() *addressLocks {
	return &addressLocks{slots: map[string]chan struct{}{}}
}

// acquire takes every address, in sorted order so that two clusters can never
// each hold one the other waits for, and returns the function releasing them.
func (l *addressLocks) acquire(ctx context.Context, addrs []string) (func(), error) {
	addrs = slices.Clone(addrs)
	slices.Sort(addrs)
	addrs = slices.Compact(addrs)
	var held []chan struct{}
	release := func() {
		for _, slot := range held {
			<-slot
		}
	}
	for _, a := range addrs {
		slot := l.slot(a)
		select {
		case slot <- struct{}{}:
			held = append(held, slot)
		case <-ctx.Done():
			release()
			return nil, fmt.Errorf("wait for external host address %s: %w", a, ctx.Err())
		}
	}
	return release, nil
}

func (l *addressLocks) slot(addr string) chan struct{} {
	l.mu.Lock()
	defer l.mu.Unlock()
	s, ok := l.slots[addr]
	if !ok {
		s = make(chan struct{}, 1)
		l.slots[addr] = s
	}
	return s
}
