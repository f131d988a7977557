package controller

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"sync"
	"time"

	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	corelisters "k8s.io/client-go/listers/core/v1"
	networkinglisters "k8s.io/client-go/listers/networking/v1"
	"k8s.io/client-go/tools/cache"
	npainformers "sigs.k8s.io/network-policy-api/pkg/client/informers/externalversions"
	npalistersv1alpha1 "sigs.k8s.io/network-policy-api/pkg/client/listers/apis/v1alpha1"
	npalisters "sigs.k8s.io/network-policy-api/pkg/client/listers/apis/v1alpha2"

	"github.com/netpolcheck/netpolcheck/enforcer/compile"
)

// Controller watches the cluster and keeps one node's datapath enforcing it.
// Make one with New and start it with Run.
type Controller struct {
	client kubernetes.Interface
	opts   Options

	// Listers are set by Run before the worker starts.
	namespaces corelisters.NamespaceLister
	pods       corelisters.PodLister
	policies   networkinglisters.NetworkPolicyLister
	// clusterPolicies is nil when Options.PolicyAPI is.
	clusterPolicies npalisters.ClusterNetworkPolicyLister
	// adminPolicies and baselinePolicies are nil unless
	// Options.AdminPolicyAPI is set.
	adminPolicies    npalistersv1alpha1.AdminNetworkPolicyLister
	baselinePolicies npalistersv1alpha1.BaselineAdminNetworkPolicyLister

	// dirty holds one token when a sync is due; handlers never block on it.
	dirty chan struct{}

	statusMu      sync.Mutex
	status        Status
	statusChanged chan struct{}

	metrics metricsState

	// compiler keeps what the last sync compiled, so that a change to one
	// policy does not compile the whole cluster again. Only the worker
	// uses it.
	compiler compile.Compiler

	running sync.Mutex
}

// New checks the options and returns a controller that is not running yet.
func New(client kubernetes.Interface, opts Options) (*Controller, error) {
	if client == nil {
		return nil, errors.New("new controller: no client")
	}
	opts, err := opts.withDefaults()
	if err != nil {
		return nil, fmt.Errorf("new controller: %w", err)
	}
	return &Controller{
		client:        client,
		opts:          opts,
		dirty:         make(chan struct{}, 1),
		statusChanged: make(chan struct{}),
	}, nil
}

// Run starts the informers, waits for their caches, and then syncs on every
// change until ctx ends, reading drop records meanwhile. It returns nil when
// ctx ends, and leaves the datapath as it last applied it: its owner decides
// whether to Close or Release it. Only one Run may be in progress at a time.
func (c *Controller) Run(ctx context.Context) error {
	if !c.running.TryLock() {
		return errors.New("run controller: already running")
	}
	defer c.running.Unlock()
	defer c.publish(func(s *Status) { s.Phase = PhaseStopped })
	c.publish(func(s *Status) { s.Phase = PhaseStarting })
	ctx, cancel := context.WithCancel(ctx)
	factory := informers.NewSharedInformerFactory(c.client, 0)
	// Shutdown waits for the informers, which stop once ctx is cancelled.
	defer func() {
		cancel()
		factory.Shutdown()
	}()
	nsInformer := factory.Core().V1().Namespaces()
	podInformer := factory.Core().V1().Pods()
	policyInformer := factory.Networking().V1().NetworkPolicies()
	handler := cache.ResourceEventHandlerFuncs{
		AddFunc:    func(any) { c.changed() },
		UpdateFunc: func(any, any) { c.changed() },
		DeleteFunc: func(any) { c.changed() },
	}
	informers := []cache.SharedIndexInformer{nsInformer.Informer(), podInformer.Informer(), policyInformer.Informer()}
	var policyAPI npainformers.SharedInformerFactory
	if c.opts.PolicyAPI != nil {
		policyAPI = npainformers.NewSharedInformerFactory(c.opts.PolicyAPI, 0)
		defer policyAPI.Shutdown()
		cnpInformer := policyAPI.Policy().V1alpha2().ClusterNetworkPolicies()
		informers = append(informers, cnpInformer.Informer())
		c.clusterPolicies = cnpInformer.Lister()
	}
	var adminAPI npainformers.SharedInformerFactory
	if c.opts.AdminPolicyAPI != nil {
		adminAPI = npainformers.NewSharedInformerFactory(c.opts.AdminPolicyAPI, 0)
		defer adminAPI.Shutdown()
		anpInformer := adminAPI.Policy().V1alpha1().AdminNetworkPolicies()
		banpInformer := adminAPI.Policy().V1alpha1().BaselineAdminNetworkPolicies()
		informers = append(informers, anpInformer.Informer(), banpInformer.Informer())
		c.adminPolicies, c.baselinePolicies = anpInformer.Lister(), banpInformer.Lister()
	}
	var delivered []cache.InformerSynced
	for _, inf := range informers {
		reg, err := inf.AddEventHandler(handler)
		if err != nil {
			return fmt.Errorf("run controller: add event handler: %w", err)
		}
		delivered = append(delivered, reg.HasSynced)
	}
	c.namespaces, c.pods, c.policies = nsInformer.Lister(), podInformer.Lister(), policyInformer.Lister()
	factory.Start(ctx.Done())
	synced := factory.WaitForCacheSync(ctx.Done())
	if policyAPI != nil {
		policyAPI.Start(ctx.Done())
		maps.Insert(synced, maps.All(policyAPI.WaitForCacheSync(ctx.Done())))
	}
	if adminAPI != nil {
		adminAPI.Start(ctx.Done())
		maps.Insert(synced, maps.All(adminAPI.WaitForCacheSync(ctx.Done())))
	}
	for typ, ok := range synced {
		if !ok {
			if ctx.Err() != nil {
				return nil
			}
			return fmt.Errorf("run controller: cache of %v did not sync", typ)
		}
	}
	// The caches may be full before the handler has seen every listed
	// object; wait for that too, so that the initial events fold into the
	// first sync instead of asking for a second one.
	if !cache.WaitForCacheSync(ctx.Done(), delivered...) {
		if ctx.Err() != nil {
			return nil
		}
		return errors.New("run controller: event handlers did not receive the initial lists")
	}

	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		// Losing the drop log leaves enforcement intact: note it and go on.
		if err := c.opts.Datapath.WatchDrops(ctx, c.dropped); err != nil {
			c.metrics.dropReaderFailed(err)
		}
	}()
	defer wg.Wait()

	// The first sync puts the listed state in force, events or not.
	c.markDirty()
	c.work(ctx)
	return nil
}

// changed records an event and marks a sync as due.
func (c *Controller) changed() {
	c.metrics.event(time.Now())
	c.markDirty()
}

// markDirty asks the worker for a sync; a pending request absorbs it.
func (c *Controller) markDirty() {
	select {
	case c.dirty <- struct{}{}:
	default:
	}
}
