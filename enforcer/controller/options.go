package controller

import (
	"context"
	"errors"
	"net/netip"
	"time"

	npaversioned "sigs.k8s.io/network-policy-api/pkg/client/clientset/versioned"

	"github.com/netpolcheck/netpolcheck/enforcer/compile"
	"github.com/netpolcheck/netpolcheck/enforcer/datapath"
)

// Datapath is what the controller needs of a datapath; *datapath.Datapath
// has it all. Tests substitute a recording one.
type Datapath interface {
	// Attach attaches the programs to a device of the node; twice is a no-op.
	Attach(ifindex int) error
	// Detach detaches them; a device not attached is a no-op.
	Detach(ifindex int) error
	// Attached lists the devices attached, including those adopted from pins.
	Attached() []int
	// Apply puts tables in force and returns their generation.
	Apply(t *compile.Tables) (uint32, error)
	// Counters reads the verdict counters.
	Counters() (datapath.Counters, error)
	// WatchDrops calls fn for each drop record until ctx is done.
	WatchDrops(ctx context.Context, fn func(datapath.Drop)) error
}

var _ Datapath = (*datapath.Datapath)(nil)

// Routes finds the devices the node routes pods through. NodeRoutes reads
// them from a network namespace.
type Routes interface {
	// HostRoutes maps every address the node has a /32 device route to onto
	// that device's ifindex.
	HostRoutes() (map[netip.Addr]int, error)
}

// Defaults of Options.
const (
	DefaultMinInterval = 10 * time.Millisecond
	DefaultMaxRetry    = 5 * time.Second
	// firstRetry is where the backoff of a failing or incomplete sync starts.
	firstRetry = 50 * time.Millisecond
)

// Options configure a Controller.
type Options struct {
	// NodeName is the node whose pods are local endpoints: pods whose
	// spec.nodeName equals it.
	NodeName string
	// Datapath enforces the compiled tables.
	Datapath Datapath
	// Routes finds the host-side device of each local pod.
	Routes Routes
	// MinInterval is the least time between the starts of two syncs;
	// DefaultMinInterval when zero. Larger values compile less under churn
	// and delay enforcement by as much.
	MinInterval time.Duration
	// MaxRetry caps the backoff between retries of a failed or incomplete
	// sync; DefaultMaxRetry when zero.
	MaxRetry time.Duration
	// PolicyAPI, when set, is the client of ClusterNetworkPolicies, which
	// the controller then watches and enforces. Leave it unset where the
	// CRD is not installed: the informer would wait for it forever.
	PolicyAPI npaversioned.Interface
	// AdminPolicyAPI, when set, is the client of the v1alpha1
	// AdminNetworkPolicies and BaselineAdminNetworkPolicies, which the
	// controller then watches and enforces in the same tiers. Leave it
	// unset where their CRDs are not installed.
	AdminPolicyAPI npaversioned.Interface
	// OnDrop, when set, gets every drop record the datapath logs. It runs on
	// the drop reader's goroutine and should return quickly.
	OnDrop func(datapath.Drop)
}

func (o Options) withDefaults() (Options, error) {
	switch {
	case o.NodeName == "":
		return o, errors.New("no node name")
	case o.Datapath == nil:
		return o, errors.New("no datapath")
	case o.Routes == nil:
		return o, errors.New("no routes")
	case o.MinInterval < 0 || o.MaxRetry < 0:
		return o, errors.New("negative interval")
	}
	if o.MinInterval == 0 {
		o.MinInterval = DefaultMinInterval
	}
	if o.MaxRetry == 0 {
		o.MaxRetry = DefaultMaxRetry
	}
	return o, nil
}
