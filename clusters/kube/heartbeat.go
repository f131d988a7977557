package kube

import (
	"context"
	"maps"
	"time"

	corev1 "k8s.io/api/core/v1"
)

// expiryBeats is how many heartbeats a namespace outlives its last renewal:
// enough that a slow API server or a missed beat never makes a live run look crashed.
const expiryBeats = 3

// expiry is the ExpiresAnnotation value written now.
func (b *Backend) expiry() string {
	b.mu.Lock()
	now := b.now()
	b.mu.Unlock()
	return now.Add(expiryBeats * b.opts.Heartbeat).UTC().Format(time.RFC3339)
}

// startHeartbeat renews ExpiresAnnotation on the run's namespaces every
// Options.Heartbeat until Close, so that Clean can tell a crashed run's
// namespaces from a live one's.
func (b *Backend) startHeartbeat() {
	ctx, cancel := context.WithCancel(context.Background())
	b.stopHeartbeat = cancel
	b.heartbeatDone = make(chan struct{})
	go func() {
		defer close(b.heartbeatDone)
		t := time.NewTicker(b.opts.Heartbeat)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				b.renew(ctx)
			}
		}
	}()
}

// renew writes a fresh expiry on every namespace of the run. Errors are
// dropped: the next beat tries again, and the expiry leaves room for misses.
func (b *Backend) renew(ctx context.Context) {
	b.mu.Lock()
	owned := maps.Clone(b.owned)
	b.mu.Unlock()
	expires := b.expiry()
	for name, uid := range owned {
		_ = b.updateOwnedNamespace(ctx, name, uid, func(ns *corev1.Namespace) {
			if ns.Annotations == nil {
				ns.Annotations = map[string]string{}
			}
			ns.Annotations[ExpiresAnnotation] = expires
		})
	}
}
