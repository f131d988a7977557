package clusters

import (
	"context"
	"strings"
	"time"

	"github.com/netpolcheck/netpolcheck/probes"
	"github.com/netpolcheck/netpolcheck/scenarios"
)

// Cluster is one scenario's share of a cluster: its namespaces, pods and
// external hosts. The runner drives every backend through it and never knows
// which backend it is.
type Cluster interface {
	// Setup creates the world's namespaces, pods and external hosts (no policies)
	// and returns the address each pod actually got, keyed "ns/pod".
	Setup(ctx context.Context, w *scenarios.World) (Addresses, error)
	// Apply carries out one change; for AddPod it returns the new pod's address.
	Apply(ctx context.Context, c scenarios.Change) (Addresses, error)
	// Probe runs the jobs, concurrently as the backend sees fit, and returns one
	// result per job in the jobs' order. The error is for the backend failing as
	// a whole; a job that could not run is a Result with Outcome Error.
	Probe(ctx context.Context, jobs []probes.Job) ([]probes.Result, error)
	// Teardown removes everything Setup and Apply created. It is safe to call twice.
	Teardown(ctx context.Context) error
}

// Addresses maps "ns/pod" to the IP the pod got.
type Addresses map[string]string

// Backend makes a Cluster per scenario, so that scenarios can run in parallel
// without seeing each other.
type Backend interface {
	// Name is the backend's name as --cluster spells it.
	Name() string
	// Capabilities tells what the backend can carry.
	Capabilities() Capabilities
	// NewCluster prepares an empty cluster for the named scenario.
	NewCluster(ctx context.Context, scenario string) (Cluster, error)
	// Close releases what the backend holds across scenarios.
	Close(ctx context.Context) error
}

// Defaults are the timing a backend's clusters need. The runner uses them
// wherever a run leaves its own unset, so that each backend, not each
// command, says what suits it.
type Defaults struct {
	// ProbeTimeout bounds one probe: short where packets cross one host's
	// namespaces in microseconds, longer across real nodes.
	ProbeTimeout time.Duration
	// Converge bounds how long a step may take to match after it was
	// applied: enforcers that program policies asynchronously need longer.
	Converge time.Duration
}

// Defaulter is implemented by backends with defaults of their own.
type Defaulter interface {
	Defaults() Defaults
}

// Capabilities are what a backend can test. A cell the backend cannot carry is
// reported as skipped with the reason, never as a pass or a failure.
type Capabilities struct {
	SCTP bool `json:"sctp"`
	// SCTPReason explains why SCTP is missing, e.g. "kernel has no SCTP module".
	SCTPReason string `json:"sctpReason,omitempty"`
	// ExternalHosts is false when the backend cannot emulate external hosts.
	ExternalHosts       bool   `json:"externalHosts"`
	ExternalHostsReason string `json:"externalHostsReason,omitempty"`
	// ExternalHostsExclusive says an external host address belongs to one
	// scenario's cluster at a time (kind's hosts are containers on one
	// network): the runner runs the scenarios using an address one after
	// another, in one lane, handing the cluster on.
	ExternalHostsExclusive bool `json:"externalHostsExclusive,omitempty"`
	// ClusterNetworkPolicy is true when the backend can apply
	// ClusterNetworkPolicies and its enforcer enforces them. A scenario that
	// uses them is skipped, with the reason, on a backend that cannot.
	ClusterNetworkPolicy bool `json:"clusterNetworkPolicy,omitempty"`
	// ClusterNetworkPolicyReason says why they cannot be, e.g. that the
	// cluster does not serve the CRD.
	ClusterNetworkPolicyReason string `json:"clusterNetworkPolicyReason,omitempty"`
	// ClusterNetworkPolicyExperimental is true when the cluster also takes
	// the experimental channel's fields (nodes and domainNames peers, named
	// ports); a scenario using them is skipped on a cluster that does not.
	ClusterNetworkPolicyExperimental bool `json:"clusterNetworkPolicyExperimental,omitempty"`
	// AdminNetworkPolicy is true when the backend can apply the v1alpha1
	// AdminNetworkPolicy and BaselineAdminNetworkPolicy and its enforcer
	// enforces them; AdminNetworkPolicyReason says why not.
	AdminNetworkPolicy       bool   `json:"adminNetworkPolicy,omitempty"`
	AdminNetworkPolicyReason string `json:"adminNetworkPolicyReason,omitempty"`
	// AdminNetworkPolicyExperimental is true when the cluster's v1alpha1
	// CRDs are the experimental channel (named ports, nodes, networks and
	// domainNames peers).
	AdminNetworkPolicyExperimental bool `json:"adminNetworkPolicyExperimental,omitempty"`
	// Targets are the ways the clusters dial a destination pod (its IP, its
	// Service): the runner probes every pod-to-pod cell once per target.
	// Empty means by pod IP alone.
	Targets []probes.Target `json:"targets,omitempty"`
}

// ProbeTargets are the targets the runner probes pod-to-pod cells through.
func (c Capabilities) ProbeTargets() []probes.Target {
	if len(c.Targets) == 0 {
		return []probes.Target{probes.TargetPod}
	}
	return c.Targets
}

// NoClusterNetworkPolicy is the skip reason of a scenario with
// ClusterNetworkPolicies on a backend that cannot apply them.
const NoClusterNetworkPolicy = "uses ClusterNetworkPolicy, which this cluster backend cannot apply and enforce yet; simulate and explain judge it"

// ClusterNetworkPolicySkip is the skip reason of a scenario with
// ClusterNetworkPolicies on a backend with these capabilities, using the
// experimental-channel fields named: empty when the scenario can run.
func (c Capabilities) ClusterNetworkPolicySkip(experimental []string) string {
	switch {
	case !c.ClusterNetworkPolicy && c.ClusterNetworkPolicyReason == "":
		return NoClusterNetworkPolicy
	case !c.ClusterNetworkPolicy:
		return "uses ClusterNetworkPolicy: " + c.ClusterNetworkPolicyReason
	case len(experimental) > 0 && !c.ClusterNetworkPolicyExperimental:
		return "uses " + strings.Join(experimental, ", ") + " of the experimental channel of ClusterNetworkPolicy, which this cluster's CRD (standard channel) prunes and refuses; netpolcheck kind up --npa-channel experimental installs that channel"
	}
	return ""
}

// ClusterPolicySkip is the skip reason of a scenario on a backend with
// these capabilities, for the cluster policy kinds it uses: empty when it
// uses none, or the backend can apply and enforce the ones it uses.
func (c Capabilities) ClusterPolicySkip(s *scenarios.Scenario) string {
	v1alpha2, v1alpha1 := s.ClusterPolicyAPIs()
	if v1alpha2 {
		if reason := c.ClusterNetworkPolicySkip(s.ExperimentalClusterPolicyFields()); reason != "" {
			return reason
		}
	}
	if v1alpha1 {
		return c.adminPolicySkip(s.ExperimentalAdminPolicyFields())
	}
	return ""
}

// NoAdminNetworkPolicy is the skip reason of a scenario with v1alpha1
// policies on a backend that cannot apply them.
const NoAdminNetworkPolicy = "uses AdminNetworkPolicy or BaselineAdminNetworkPolicy (v1alpha1), which this cluster backend cannot apply and enforce; simulate and explain judge it"

func (c Capabilities) adminPolicySkip(experimental []string) string {
	switch {
	case !c.AdminNetworkPolicy && c.AdminNetworkPolicyReason == "":
		return NoAdminNetworkPolicy
	case !c.AdminNetworkPolicy:
		return "uses AdminNetworkPolicy or BaselineAdminNetworkPolicy: " + c.AdminNetworkPolicyReason
	case len(experimental) > 0 && !c.AdminNetworkPolicyExperimental:
		return "uses " + strings.Join(experimental, ", ") + " of the experimental channel of the v1alpha1 CRDs, which this cluster's (standard channel) prune and refuse; netpolcheck kind up --npa-channel experimental installs that channel"
	}
	return ""
}

// Syncer is implemented by clusters whose enforcer can tell when the changes
// applied so far are in force. The runner waits for it before probing, and
// still re-probes mismatches up to its convergence bound.
type Syncer interface {
	Sync(ctx context.Context) error
}

// HealthChecker is implemented by clusters whose enforcer can tell whether
// it is in place. The runner asks before probing each step: an enforcer that
// is gone (its programs detached, its controller stopped) makes the step an
// error that says so, instead of a storm of wrong cells.
type HealthChecker interface {
	CheckEnforcer(ctx context.Context) error
}

// Reproducer is implemented by clusters that can give a command re-running one
// probe by hand, shown in reports next to each wrong cell.
type Reproducer interface {
	Reproduce(job probes.Job) string
}

// DropReporter is implemented by clusters whose enforcer logs every packet
// it denies. Drops returns the log entries matching one probe job (its
// source, destination address, port and protocol) since the current step
// began; reports show them beside blocked and wrong cells. The runner counts
// a blocked probe of such a cluster as blocked by policy only when it has an
// entry: without one the probe was merely slow, and it is probed again.
type DropReporter interface {
	Drops(job probes.Job) []string
}

// DropEnder is a DropReporter whose probes end as soon as their drop is
// logged (the local cluster with the reference enforcer): a blocked probe
// waits out no timeout there, so the runner keeps the run's whole timeout
// for slow answers instead of choosing a shorter one.
type DropEnder interface {
	DropReporter
	EndsDroppedProbes() bool
}

// Holder is implemented by clusters that can keep a TCP connection open
// while changes are applied, for the behaviour probe that asks what an
// enforcer does to connections established before a policy denies them.
type Holder interface {
	// Hold connects for the job from its source pod and makes the first
	// exchange, whose result it returns; the connection stays open, when
	// that was allowed, and the session (for Dial) in any case, until the
	// HeldConnection is closed. The error is for the cluster failing to
	// start the session at all.
	Hold(ctx context.Context, job probes.Job) (HeldConnection, probes.Result, error)
}

// HeldConnection is a connection a Holder keeps open.
type HeldConnection interface {
	// Exchange sends another request over the held connection.
	Exchange(ctx context.Context) probes.Result
	// Dial makes a new connection for the same job, from the same source,
	// without the cost of starting another session.
	Dial(ctx context.Context) probes.Result
	// Close closes the connection and ends the session.
	Close() error
}

// EnforcerRestarter is implemented by clusters that know their enforcer's
// pods and may restart them, for the behaviour probe that asks whether
// policies stay in force while the enforcer restarts.
type EnforcerRestarter interface {
	// RestartEnforcer deletes the enforcer's pods on the nodes running the
	// given scenario pods ("ns/pod") and returns at once. The channel
	// receives nil when replacements are Ready on each of those nodes, or why
	// they are not; the caller bounds the wait with ctx.
	RestartEnforcer(ctx context.Context, near []string) (<-chan error, error)
}

// HostProber is implemented by clusters that can send probes from a node's
// host network, as the kubelet's own traffic and host-network pods do, for
// the behaviour probe that asks whether policies isolate pods from them.
type HostProber interface {
	// ProbeFromHost runs the jobs from the host network of the node that
	// runs the probe pod near ("ns/pod"), or with sameNode false of another
	// node. The error says why no host-network source could be made.
	ProbeFromHost(ctx context.Context, jobs []probes.Job, near string, sameNode bool) ([]probes.Result, error)
}
