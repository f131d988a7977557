package reference

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"sync"

	"github.com/netpolcheck/netpolcheck/clusters"
	"github.com/netpolcheck/netpolcheck/clusters/local"
	"github.com/netpolcheck/netpolcheck/enforcer/controller"
	"github.com/netpolcheck/netpolcheck/enforcer/controller/memclient"
	"github.com/netpolcheck/netpolcheck/enforcer/datapath"
	"github.com/netpolcheck/netpolcheck/probes"
	"github.com/netpolcheck/netpolcheck/scenarios"
)

// writesPerSync bounds the writes between two syncs: the in-memory
// clientset panics once 100 events wait undelivered in one watch.
const writesPerSync = 30

// dropsPerCell bounds the drop records shown beside one cell.
const dropsPerCell = 4

// Enforcer is the reference enforcer of one local cluster. The cluster
// calls Apply and Sync one at a time; Drops may run alongside them.
type Enforcer struct {
	opts   Options
	node   *local.Node
	client *memclient.Clientset
	feeder *feeder
	dp     *datapath.Datapath
	routes *controller.NodeRoutes
	ctrl   *controller.Controller
	stop   context.CancelFunc
	done   chan error
	drops  *dropLog

	mu sync.Mutex
	// marker is the last sync marker written; unsynced counts writes since.
	marker   uint64
	unsynced int
	// stepStart numbers the first drop record of the current step.
	stepStart uint64
	// pods maps "ns/pod" to its address, to match drops to probes.
	pods map[string]podAddress
}

type podAddress struct {
	namespace string
	ip        netip.Addr
}

var (
	_ local.Enforcer         = (*Enforcer)(nil)
	_ clusters.Syncer        = (*Enforcer)(nil)
	_ clusters.DropReporter  = (*Enforcer)(nil)
	_ clusters.HealthChecker = (*Enforcer)(nil)
	_ local.DropWatcher      = (*Enforcer)(nil)
)

// CheckEnforcer tells whether the enforcer is in place: its controller runs
// and both its programs are attached to every pod's link.
func (e *Enforcer) CheckEnforcer(context.Context) error {
	if s := e.ctrl.Status(); s.Phase == controller.PhaseStopped {
		return fmt.Errorf("reference enforcer is not running: %s", s)
	}
	var ifindexes []int
	for _, l := range e.node.Pods() {
		ifindexes = append(ifindexes, l.Index)
	}
	if err := e.dp.CheckAttached(ifindexes); err != nil {
		return fmt.Errorf("reference enforcer is not in place on node %s: %w", e.node.Name, err)
	}
	return nil
}

// Apply mirrors the change into the controller's clientset.
func (e *Enforcer) Apply(ctx context.Context, c scenarios.Change) error {
	if err := e.feeder.mirror(ctx, c); err != nil {
		return fmt.Errorf("reference enforcer: mirror %s: %w", c.Kind, err)
	}
	e.track(c)
	return nil
}

// track keeps the pod addresses that drops are matched by.
func (e *Enforcer) track(c scenarios.Change) {
	e.mu.Lock()
	defer e.mu.Unlock()
	switch c.Kind {
	case scenarios.AddPod:
		if ip, err := netip.ParseAddr(c.Pod.IP); err == nil {
			e.pods[c.Pod.ID()] = podAddress{namespace: c.Pod.Namespace, ip: ip}
		}
	case scenarios.RemovePod:
		delete(e.pods, c.Pod.ID())
	case scenarios.RemoveNamespace:
		for id, p := range e.pods {
			if p.namespace == c.Namespace.Name {
				delete(e.pods, id)
			}
		}
	}
}

// wrote counts a write and syncs after writesPerSync of them, so that the
// informers drain a long burst before the clientset's buffers fill.
func (e *Enforcer) wrote(ctx context.Context) error {
	e.mu.Lock()
	e.unsynced++
	due := e.unsynced >= writesPerSync
	e.mu.Unlock()
	if !due {
		return nil
	}
	return e.syncMarker(ctx)
}

// Sync returns once the controller has put every change written so far in
// force, with every local pod attached. A step's probing starts after it,
// so it also starts the step's drop log.
func (e *Enforcer) Sync(ctx context.Context) error {
	e.mu.Lock()
	e.stepStart = e.drops.mark()
	e.mu.Unlock()
	return e.syncMarker(ctx)
}

func (e *Enforcer) syncMarker(ctx context.Context) error {
	e.mu.Lock()
	e.marker++
	e.unsynced = 0
	n := e.marker
	e.mu.Unlock()
	ctx, cancel := context.WithTimeout(ctx, e.opts.SyncTimeout)
	defer cancel()
	if err := controller.WriteSyncMarker(ctx, e.client, n); err != nil {
		return fmt.Errorf("reference enforcer: %w", err)
	}
	if err := controller.WriteClusterPolicySyncMarker(ctx, e.client.PolicyAPI(), n); err != nil {
		return fmt.Errorf("reference enforcer: %w", err)
	}
	s, err := e.ctrl.WaitFor(ctx, func(s controller.Status) bool {
		return s.Marker >= n && len(s.Pending) == 0 || s.Phase == controller.PhaseStopped
	})
	if err == nil && s.Phase == controller.PhaseStopped {
		// Waiting on would only end in the timeout, minutes later under load.
		return fmt.Errorf("reference enforcer: controller stopped before marker %d was in force: %s", n, s)
	}
	if err != nil {
		return fmt.Errorf("reference enforcer: changes up to marker %d not in force after %v: %s", n, e.opts.SyncTimeout, s)
	}
	return nil
}

// Drops returns the drop records of this step that match the job: from the
// source pod's address (or, for an external host, from any address that is
// no pod's) to the job's address, port and protocol, newest last.
func (e *Enforcer) Drops(job probes.Job) []string {
	dst, err := netip.ParseAddr(job.Host)
	if err != nil || job.Port <= 0 || job.Port > 65535 {
		return nil
	}
	f := dropFilter{destination: dst, port: uint16(job.Port), protocol: protocolNumber(job.Protocol)}
	if f.protocol == 0 {
		return nil
	}
	e.mu.Lock()
	since := e.stepStart
	if p, ok := e.pods[job.From]; ok {
		f.source = p.ip
	} else {
		f.others = make(map[netip.Addr]bool, len(e.pods))
		for _, p := range e.pods {
			f.others[p.ip] = true
		}
	}
	e.mu.Unlock()
	return e.drops.find(since, dropsPerCell, f)
}

// WatchDrop calls dropped once the datapath drops a packet of the flow
// after the flow's socket was made, so that the probe sending it ends without waiting out its
// timeout (see probes.DropWatch).
func (e *Enforcer) WatchDrop(f local.Flow, dropped func()) (stop func()) {
	key := flow{source: f.Source, destination: f.Destination, protocol: protocolNumber(f.Protocol)}
	if key.protocol == 0 {
		return func() {}
	}
	return e.drops.watch(key, f.Started, dropped)
}

func protocolNumber(name string) uint8 {
	switch scenarios.Protocol(name) {
	case scenarios.TCP:
		return 6
	case scenarios.UDP:
		return 17
	case scenarios.SCTP:
		return 132
	}
	return 0
}

// Metrics returns the controller's counters.
func (e *Enforcer) Metrics() (controller.Metrics, error) { return e.ctrl.Metrics() }

// Close stops the controller, then detaches every program and removes the
// datapath's pins.
func (e *Enforcer) Close() error {
	if err := e.close(); err != nil {
		return fmt.Errorf("close reference enforcer: %w", err)
	}
	return nil
}

// close releases what start got, in reverse order; it serves a failed start too.
func (e *Enforcer) close() error {
	var errs []error
	if e.stop != nil {
		e.stop()
		errs = append(errs, <-e.done)
		e.stop = nil
	}
	if e.routes != nil {
		errs = append(errs, e.routes.Close())
		e.routes = nil
	}
	if e.dp != nil {
		errs = append(errs, e.dp.Close())
		e.dp = nil
	}
	return errors.Join(errs...)
}
