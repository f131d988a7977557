package kube

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"

	"github.com/netpolcheck/netpolcheck/clusters"
	"github.com/netpolcheck/netpolcheck/probes"
)

// Backend runs scenarios on a cluster reached through the API server: each
// scenario gets namespaces of its own, npc-<run>-<n>-<name>, holding one
// probe pod per model pod. Make one with New and Close it after the run.
type Backend struct {
	client    kubernetes.Interface
	exec      Executor
	opts      Options
	runID     string
	caps      clusters.Capabilities
	addresses *addressLocks
	now       func() time.Time
	execCalls atomic.Int64
	// execRetries counts execs sent again after a stream ended early.
	execRetries atomic.Int64
	// sessionFailures counts batches a probe session failed, sent again by
	// one exec; sessionsOff is set once a session ended before its first
	// answer (a probe image without sessions).
	sessionFailures atomic.Int64
	sessionsOff     atomic.Bool

	// clusters are the clusters made and not yet torn down.
	clusters clusters.LiveSet[*Cluster]

	mu    sync.Mutex
	owned map[string]types.UID // every namespace of the run that exists, by real name

	// baselineToken is held (one in the channel) by the cluster that may
	// have the BaselineAdminNetworkPolicy, a singleton cluster wide.
	baselineToken chan struct{}

	stopHeartbeat context.CancelFunc
	heartbeatDone chan struct{}
}

var _ clusters.Backend = (*Backend)(nil)

// New returns a backend on the cluster of client, entering pods through
// exec. With Options.SCTP set to SCTPAuto it first checks SCTP between two
// probe pods, which takes as long as starting them.
func New(ctx context.Context, client kubernetes.Interface, exec Executor, opts Options) (*Backend, error) {
	opts, err := opts.withDefaults()
	if err != nil {
		return nil, fmt.Errorf("kube backend: %w", err)
	}
	b := &Backend{
		client:    client,
		exec:      exec,
		opts:      opts,
		addresses: newAddressLocks(),
		now:       time.Now,
		owned:     map[string]types.UID{},

		baselineToken: make(chan struct{}, 1),
	}
	if b.runID, err = claimRunID(ctx, client, opts.RunID); err != nil {
		return nil, fmt.Errorf("kube backend: %w", err)
	}
	b.caps = staticCapabilities(opts)
	if opts.PolicyAPI != nil {
		served, reason, err := ServesClusterPolicies(client.Discovery())
		if err != nil {
			return nil, fmt.Errorf("kube backend: %w", err)
		}
		b.caps.ClusterNetworkPolicy, b.caps.ClusterNetworkPolicyReason = served, reason
		if served {
			b.caps.ClusterNetworkPolicyExperimental, err = acceptsExperimental(ctx, opts.PolicyAPI, b.runID)
			var forbidden errMayNotCreate
			switch {
			case errors.As(err, &forbidden):
				b.caps.ClusterNetworkPolicy, b.caps.ClusterNetworkPolicyReason = false, forbidden.Error()
			case err != nil:
				return nil, fmt.Errorf("kube backend: %w", err)
			}
		}
		if err := b.adminPolicyCaps(ctx); err != nil {
			return nil, fmt.Errorf("kube backend: %w", err)
		}
	}
	b.startHeartbeat()
	if opts.SCTP == SCTPAuto {
		if b.caps.SCTP, b.caps.SCTPReason, err = b.checkSCTP(ctx); err != nil {
			return nil, errors.Join(fmt.Errorf("kube backend: %w", err), b.Close(context.WithoutCancel(ctx)))
		}
	}
	return b, nil
}

// claimRunID returns run, or a fresh random ID when it is empty, refusing an
// ID that namespaces left over from another run still carry.
func claimRunID(ctx context.Context, client kubernetes.Interface, run string) (string, error) {
	given := run != ""
	for range 8 {
		if !given {
			id, err := clusters.RandomRunID()
			if err != nil {
				return "", err
			}
			run = id
		}
		left, err := client.CoreV1().Namespaces().List(ctx, metav1.ListOptions{LabelSelector: RunLabel + "=" + run})
		if err != nil {
			return "", fmt.Errorf("list namespaces of run %s: %w", run, err)
		}
		if len(left.Items) == 0 {
			return run, nil
		}
		if given {
			return "", fmt.Errorf("run ID %s is taken: %d namespaces carry it (netpolcheck clean removes them)", run, len(left.Items))
		}
	}
	return "", errors.New("no free run ID after 8 tries")
}

// staticCapabilities are what the options alone decide.
func staticCapabilities(opts Options) clusters.Capabilities {
	caps := clusters.Capabilities{SCTP: opts.SCTP == SCTPOn, ExternalHosts: true, ExternalHostsExclusive: true,
		ClusterNetworkPolicyReason: noPolicyAPI, AdminNetworkPolicyReason: noPolicyAPI, Targets: opts.Targets}
	if opts.SCTP == SCTPOff {
		caps.SCTPReason = "not requested (--sctp)"
	}
	if _, shared := opts.ExternalHosts.(SharedExternalHosts); shared {
		caps.ExternalHostsExclusive = false
	}
	if opts.ExternalHosts == nil && len(opts.StaticHosts) == 0 {
		caps.ExternalHosts, caps.ExternalHostsExclusive = false, false
		caps.ExternalHostsReason = "this cluster has none (give --external-host NAME=IP for a probe server pods can reach)"
	}
	return caps
}

// Name returns Options.Name, "kube" unless the kind backend says otherwise.
func (b *Backend) Name() string { return b.opts.Name }

// RunID returns the run's ID, the <run> in every namespace name and the value of RunLabel.
func (b *Backend) RunID() string { return b.runID }

// Capabilities reports SCTP as Options.SCTP decided and external hosts as
// available with a provider or static hosts.
func (b *Backend) Capabilities() clusters.Capabilities { return b.caps }

// Defaults are a real cluster's: a probe crosses nodes (probes.DefaultTimeout)
// and the CNI programs policies asynchronously (Options.Converge).
func (b *Backend) Defaults() clusters.Defaults {
	return clusters.Defaults{ProbeTimeout: probes.DefaultTimeout, Converge: b.opts.Converge}
}

// ExecCalls counts the execs into pods so far, for benchmarks: one per source
// pod per Probe call.
func (b *Backend) ExecCalls() int64 { return b.execCalls.Load() }

// ExecRetries returns how many execs were sent again because the stream
// ended before the probe's answer (execAttempts).
func (b *Backend) ExecRetries() int64 { return b.execRetries.Load() }

// SessionFailures counts the batches sent again by one exec after their
// probe session failed (Options.Sessions).
func (b *Backend) SessionFailures() int64 { return b.sessionFailures.Load() }

// NewCluster prepares an empty cluster for one scenario, with namespace
// names of its own so that parallel scenarios never meet.
func (b *Backend) NewCluster(_ context.Context, scenario string) (clusters.Cluster, error) {
	return b.newCluster(scenario, b.caps.SCTP)
}

func (b *Backend) newCluster(scenario string, sctp bool) (*Cluster, error) {
	c, err := b.clusters.Add(func(n int) (*Cluster, error) { return newCluster(b, scenario, n, sctp), nil })
	if err != nil {
		return nil, fmt.Errorf("new kube cluster %s: %w", scenario, err)
	}
	return c, nil
}

// Close tears down every cluster still alive and stops renewing the run's
// namespaces. It goes on past errors and returns them all; a second call does nothing.
func (b *Backend) Close(ctx context.Context) error {
	live, first := b.clusters.Close()
	if !first {
		return nil
	}
	// Torn-down clusters stay live while their namespaces terminate: this
	// is where a run waits for them, once, rather than once per scenario.
	var errs []error
	for _, c := range live {
		errs = append(errs, c.teardown(ctx, true))
	}
	b.stopHeartbeat()
	<-b.heartbeatDone
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("close kube backend %s: %w", b.runID, err)
	}
	return nil
}

// forget drops a torn-down cluster from the live set.
func (b *Backend) forget(c *Cluster) { b.clusters.Forget(c) }

// own and disown keep the set of namespaces the heartbeat renews.
func (b *Backend) own(name string, uid types.UID) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.owned[name] = uid
}

func (b *Backend) disown(name string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	delete(b.owned, name)
}
