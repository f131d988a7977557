package memclient

import (
	"context"
	"fmt"
	"slices"
	"sync"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/discovery"
	fakediscovery "k8s.io/client-go/discovery/fake"
	"k8s.io/client-go/kubernetes/fake"
	"k8s.io/client-go/kubernetes/scheme"
	k8stesting "k8s.io/client-go/testing"
	npaversioned "sigs.k8s.io/network-policy-api/pkg/client/clientset/versioned"
	npafake "sigs.k8s.io/network-policy-api/pkg/client/clientset/versioned/fake"
)

// Clientset is an in-memory clientset that knows which resources are watched.
// PolicyAPI is its companion for the network-policy-api group, whose
// watches it records too.
type Clientset struct {
	*fake.Clientset
	tracker   k8stesting.ObjectTracker
	policyAPI *npafake.Clientset

	mu       sync.Mutex
	watched  map[string]int
	newWatch chan struct{} // closed and replaced on every watch opened
}

// New returns a clientset holding the objects.
func New(objects ...runtime.Object) (*Clientset, error) {
	tracker := k8stesting.NewObjectTracker(scheme.Scheme, scheme.Codecs.UniversalDecoder())
	for _, obj := range objects {
		if err := tracker.Add(obj); err != nil {
			return nil, fmt.Errorf("new in-memory clientset: %w", err)
		}
	}
	c := &Clientset{Clientset: &fake.Clientset{}, tracker: tracker, watched: map[string]int{}, newWatch: make(chan struct{})}
	c.AddReactor("*", "*", k8stesting.ObjectReaction(tracker))
	c.AddWatchReactor("*", c.watchOn(tracker))
	c.policyAPI = npafake.NewSimpleClientset()
	c.policyAPI.PrependWatchReactor("*", c.watchOn(c.policyAPI.Tracker()))
	return c, nil
}

// PolicyAPI is the in-memory clientset of ClusterNetworkPolicies and the
// other network-policy-api kinds.
func (c *Clientset) PolicyAPI() npaversioned.Interface { return c.policyAPI }

func (c *Clientset) watchOn(tracker k8stesting.ObjectTracker) k8stesting.WatchReactionFunc {
	return func(action k8stesting.Action) (bool, watch.Interface, error) { return c.watch(tracker, action) }
}

func (c *Clientset) watch(tracker k8stesting.ObjectTracker, action k8stesting.Action) (bool, watch.Interface, error) {
	var opts metav1.ListOptions
	if w, ok := action.(k8stesting.WatchActionImpl); ok {
		opts = w.ListOptions
	}
	w, err := tracker.Watch(action.GetResource(), action.GetNamespace(), opts)
	if err != nil {
		return false, nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.watched[action.GetResource().Resource]++
	close(c.newWatch)
	c.newWatch = make(chan struct{})
	return true, w, nil
}

// Tracker returns the object store behind the clientset.
func (c *Clientset) Tracker() k8stesting.ObjectTracker { return c.tracker }

// Discovery returns a discovery client that knows no API groups.
func (c *Clientset) Discovery() discovery.DiscoveryInterface {
	return &fakediscovery.FakeDiscovery{Fake: &c.Fake}
}

// WaitWatching blocks until every named resource ("pods", "namespaces",
// "networkpolicies", "clusternetworkpolicies") has had a watch opened, or
// ctx ends.
func (c *Clientset) WaitWatching(ctx context.Context, resources ...string) error {
	for {
		c.mu.Lock()
		var missing []string
		for _, r := range resources {
			if c.watched[r] == 0 {
				missing = append(missing, r)
			}
		}
		next := c.newWatch
		c.mu.Unlock()
		if len(missing) == 0 {
			return nil
		}
		select {
		case <-ctx.Done():
			slices.Sort(missing)
			return fmt.Errorf("wait for watches of %v: %w", missing, ctx.Err())
		case <-next:
		}
	}
}
