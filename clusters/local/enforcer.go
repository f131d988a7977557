package local

import (
	"context"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/netpolcheck/netpolcheck/scenarios"
)

// Enforcer is a policy enforcer attached to one local cluster's node. The
// cluster calls Apply for every object of the initial world and then for
// every change, always after the network part of the change is in place, and
// Close once at teardown before any namespace is deleted.
type Enforcer interface {
	// Apply makes the enforcer carry out one change. An error fails the
	// cluster's Setup or Apply.
	Apply(ctx context.Context, c scenarios.Change) error
	// Close detaches everything the enforcer attached and releases what it holds.
	Close() error
}

// DropWatcher is an Enforcer that tells of each drop as it happens, so that
// a probe it drops ends then instead of at its timeout.
type DropWatcher interface {
	// WatchDrop calls dropped once a packet of the flow is dropped at or
	// after f.Started, at once when one was already, and returns a
	// function that stops watching.
	WatchDrop(f Flow, dropped func()) (stop func())
}

// Flow is a probe's packets as the enforcer sees them: from the socket's
// address to the destination pod's (after any Service translation), by
// protocol name (TCP, UDP, SCTP). Started is when the socket was made, on
// CLOCK_MONOTONIC: an earlier socket may have had the same ports.
type Flow struct {
	Source, Destination netip.AddrPort
	Protocol            string
	Started             time.Duration
}

// EnforcerFactory starts an enforcer for a cluster's node. It is called once
// per cluster, at the end of Setup, when every initial pod's link exists.
type EnforcerFactory func(ctx context.Context, node *Node) (Enforcer, error)

// PodLink is the node's side of a pod's veth: where an enforcer attaches.
type PodLink struct {
	// Pod is the pod's "ns/pod" name.
	Pod string
	// Interface is the host-side interface name inside the node namespace.
	Interface string
	// Index is Interface's ifindex inside the node namespace.
	Index int
	// IP is the pod's address.
	IP string
}

// Node describes a cluster's node namespace to an enforcer. Name, Path and
// PinDir never change; the pod links follow AddPod and RemovePod and are safe
// to read from any goroutine.
type Node struct {
	// Name is the node's network namespace name, e.g. npc-1a2b3c-0-node.
	Name string
	// Path pins the node namespace (open it with netns.GetFromPath).
	Path string
	// PinDir is where the enforcer may pin BPF objects; Clean removes the
	// run's pin directory after a crash.
	PinDir string

	mu    sync.RWMutex
	links map[string]PodLink
}

// Pods returns the current pod links, ordered by pod name.
func (n *Node) Pods() []PodLink {
	n.mu.RLock()
	defer n.mu.RUnlock()
	out := make([]PodLink, 0, len(n.links))
	for _, l := range n.links {
		out = append(out, l)
	}
	slices.SortFunc(out, func(a, b PodLink) int { return strings.Compare(a.Pod, b.Pod) })
	return out
}

// Pod returns the link of the pod "ns/pod", if the pod exists.
func (n *Node) Pod(id string) (PodLink, bool) {
	n.mu.RLock()
	defer n.mu.RUnlock()
	l, ok := n.links[id]
	return l, ok
}

func (n *Node) setPod(l PodLink) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.links == nil {
		n.links = map[string]PodLink{}
	}
	n.links[l.Pod] = l
}

func (n *Node) removePod(id string) {
	n.mu.Lock()
	defer n.mu.Unlock()
	delete(n.links, id)
}
