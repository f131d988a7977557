package kube

import (
	"fmt"
	"slices"
	"sync"

	"k8s.io/apimachinery/pkg/types"

	"github.com/netpolcheck/netpolcheck/clusters"
	"github.com/netpolcheck/netpolcheck/probes"
	"github.com/netpolcheck/netpolcheck/scenarios"
)

// Cluster is one scenario's share of the cluster: its namespaces, probe pods
// (and Services) and external hosts. Make one with Backend.NewCluster.
type Cluster struct {
	b        *Backend
	scenario string
	names    *namespaceNames
	template podTemplate
	sctp     bool

	// mu is held for writing by Setup, Apply and Teardown and for reading by
	// Probe, so that no probe enters a pod being replaced.
	mu sync.RWMutex
	// created guards namespaces and pods while Setup creates them side by side.
	created    sync.Mutex
	namespaces map[string]types.UID // scenario namespace name → UID of the real one
	// terminating are the real namespaces Teardown has deleted and not yet
	// seen gone.
	terminating map[string]bool
	pods        map[string]*livePod // by scenario identity "ns/pod"
	hosts       []scenarios.ExternalHost
	// unplaced are the external hosts the provider cannot emulate, by name,
	// with the reason their cells are skipped.
	unplaced map[string]string
	release  func() // frees the external host addresses; nil when none are held
	torn     bool
	// holdsBaseline says the cluster holds Backend.baselineToken: it may
	// apply the one BaselineAdminNetworkPolicy.
	holdsBaseline bool
}

// livePod is a probe pod in the cluster.
type livePod struct {
	id        string // "ns/pod" in scenario names: the pod's identity
	namespace string // real namespace
	name      string
	ip        string
	service   string // Service name, with probes.TargetService
	serviceIP string
	node      string // the node it runs on, once ready
	// answer is a port its Service serves, for the check that every node
	// forwards the Service (waitAnswers); TCP where it has one.
	answer *scenarios.Port
	// serves is the first port its server listens on, which waitAnswers
	// dials by pod IP for a pod made without a startup probe.
	serves scenarios.Port

	// session is the pod's probe session (Options.Sessions), once opened.
	sessionMu sync.Mutex
	session   *lineSession
}

var (
	_ clusters.Cluster    = (*Cluster)(nil)
	_ clusters.Reproducer = (*Cluster)(nil)
)

func newCluster(b *Backend, scenario string, n int, sctp bool) *Cluster {
	return &Cluster{
		b:        b,
		scenario: scenario,
		names:    newNamespaceNames(b.runID, n),
		sctp:     sctp,
		template: podTemplate{
			image:      b.opts.ProbeImage,
			pullPolicy: b.opts.PullPolicy,
			sctp:       sctp,
			service:    slices.Contains(b.opts.Targets, probes.TargetService) || slices.Contains(b.opts.Targets, probes.TargetDNS),
		},
		namespaces: map[string]types.UID{},
		pods:       map[string]*livePod{},
	}
}

// RealNamespace returns the name of the real namespace standing for the
// scenario namespace name, whether or not it exists yet.
func (c *Cluster) RealNamespace(name string) string { return c.names.real(name) }

// ScenarioNamespace returns the scenario name of a real namespace of this cluster.
func (c *Cluster) ScenarioNamespace(real string) (string, bool) { return c.names.scenario(real) }

// usable refuses work on a cluster that has been torn down.
func (c *Cluster) usable() error {
	if c.torn {
		return fmt.Errorf("cluster of %s is torn down", c.scenario)
	}
	return nil
}
