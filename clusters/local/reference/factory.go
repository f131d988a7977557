package reference

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/netpolcheck/netpolcheck/clusters/local"
	"github.com/netpolcheck/netpolcheck/enforcer/controller"
	"github.com/netpolcheck/netpolcheck/enforcer/controller/memclient"
	"github.com/netpolcheck/netpolcheck/enforcer/datapath"
)

// Defaults of Options. The sync timeout is generous because a loaded machine
// running many clusters at once was seen to take over 10 s for a cluster's
// first Apply (program load and verification, attaching every pod's links).
const (
	DefaultSyncTimeout = 30 * time.Second
	DefaultDropLog     = 4096
)

// instance names the datapath inside the node's pin directory.
const instance = "enforcer"

// Options configure the reference enforcer of local clusters. The zero
// value is ready to use.
type Options struct {
	// SyncTimeout bounds how long Sync waits for the changes to be in force,
	// and Factory for the controller to start; DefaultSyncTimeout when zero.
	SyncTimeout time.Duration
	// DropLog is how many drop records a cluster keeps; DefaultDropLog when zero.
	DropLog int
}

func (o Options) withDefaults() (Options, error) {
	if o.SyncTimeout < 0 || o.DropLog < 0 {
		return o, errors.New("negative sync timeout or drop log size")
	}
	if o.SyncTimeout == 0 {
		o.SyncTimeout = DefaultSyncTimeout
	}
	if o.DropLog == 0 {
		o.DropLog = DefaultDropLog
	}
	return o, nil
}

// Factory returns the EnforcerFactory that starts a reference enforcer on
// each local cluster's node.
func Factory(opts Options) local.EnforcerFactory {
	return func(ctx context.Context, node *local.Node) (local.Enforcer, error) {
		e, err := start(ctx, node, opts)
		if err != nil {
			return nil, fmt.Errorf("reference enforcer on %s: %w", node.Name, err)
		}
		return e, nil
	}
}

// start opens the datapath and the route reader, starts the controller, and
// returns once its informers watch, so that no write is lost.
func start(ctx context.Context, node *local.Node, opts Options) (*Enforcer, error) {
	opts, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	if err := ensureBPFFS(bpffsRoot, node.PinDir); err != nil {
		return nil, err
	}
	e := &Enforcer{opts: opts, node: node, drops: newDropLog(opts.DropLog), pods: map[string]podAddress{}}
	if e.dp, err = datapath.Open(instance, datapath.WithPinRoot(node.PinDir), datapath.WithNetNS(node.Path)); err != nil {
		return nil, err
	}
	if e.routes, err = controller.NewNodeRoutes(node.Path); err != nil {
		return nil, errors.Join(err, e.close())
	}
	if e.client, err = memclient.New(); err != nil {
		return nil, errors.Join(err, e.close())
	}
	e.feeder = &feeder{client: e.client, policyAPI: e.client.PolicyAPI(), node: node.Name, wrote: e.wrote}
	e.ctrl, err = controller.New(e.client, controller.Options{
		NodeName: node.Name, Datapath: e.dp, Routes: e.routes, OnDrop: e.drops.add,
		PolicyAPI: e.client.PolicyAPI(),
	})
	if err != nil {
		return nil, errors.Join(err, e.close())
	}
	runCtx, stop := context.WithCancel(context.Background())
	e.stop, e.done = stop, make(chan error, 1)
	go func() { e.done <- e.ctrl.Run(runCtx) }()

	wait, cancel := context.WithTimeout(ctx, opts.SyncTimeout)
	defer cancel()
	if err := e.client.WaitWatching(wait, "namespaces", "pods", "networkpolicies", "clusternetworkpolicies"); err != nil {
		return nil, errors.Join(fmt.Errorf("start controller: %w", err), e.close())
	}
	return e, nil
}
