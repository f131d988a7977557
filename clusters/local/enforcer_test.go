package local

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"sync"
	"testing"

	"github.com/netpolcheck/netpolcheck/scenarios"
)

// recordingEnforcer writes down every call with what the Node showed at the time.
type recordingEnforcer struct {
	node *Node
	fail scenarios.ChangeKind // Apply of this kind fails

	mu     sync.Mutex
	events []string
}

func (r *recordingEnforcer) record(format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = append(r.events, fmt.Sprintf(format, args...))
}

func (r *recordingEnforcer) Apply(ctx context.Context, c scenarios.Change) error {
	switch {
	case c.Pod != nil:
		link, ok := r.node.Pod(c.Pod.ID())
		r.record("%s %s linked=%v ip=%s", c.Kind, c.Pod.ID(), ok, link.IP)
	case c.Namespace != nil:
		r.record("%s %s", c.Kind, c.Namespace.Name)
	case c.Policy != nil:
		r.record("%s %s/%s", c.Kind, c.Policy.Namespace, c.Policy.Name)
	default:
		r.record("%s %s", c.Kind, c.PolicyKey)
	}
	if c.Kind == r.fail {
		return errors.New("refused")
	}
	return nil
}

func (r *recordingEnforcer) Sync(ctx context.Context) error {
	r.record("sync")
	return nil
}

func (r *recordingEnforcer) Close() error {
	_, err := os.Stat(r.node.Path)
	r.record("close node-pinned=%v", err == nil)
	return nil
}

func (r *recordingEnforcer) snapshot() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.events)
}

// recordingFactory returns a factory that records the Node it was given.
func recordingFactory(rec *recordingEnforcer, startErr error) EnforcerFactory {
	return func(ctx context.Context, node *Node) (Enforcer, error) {
		rec.node = node
		var links []string
		for _, l := range node.Pods() {
			links = append(links, fmt.Sprintf("%s=%s/%s", l.Pod, l.Interface, l.IP))
		}
		rec.record("start %s pins=%v links=%v", node.Name, node.PinDir != "", links)
		if startErr != nil {
			return nil, startErr
		}
		return rec, nil
	}
}

func TestIntegrationEnforcerHook(t *testing.T) {
	needRoot(t)
	rec := &recordingEnforcer{}
	b := newTestBackend(t, Options{Enforcer: recordingFactory(rec, nil)})
	w := testWorld([]string{"x"}, 2, 1)
	w.Policies = append(w.Policies, policy("x", "ignored-by-setup"))
	c := setUp(t, b, w)
	ctx := context.Background()
	for _, ch := range []scenarios.Change{
		{Kind: scenarios.LabelPod, Pod: &scenarios.Pod{Namespace: "x", Name: "a", Labels: map[string]string{"r": "1"}}},
		{Kind: scenarios.AddPod, Pod: &scenarios.Pod{Namespace: "x", Name: "c", IP: "192.168.1.3", Ports: testPorts}},
		{Kind: scenarios.ApplyPolicy, Policy: policy("x", "p")},
		{Kind: scenarios.RemovePod, Pod: &scenarios.Pod{Namespace: "x", Name: "c"}},
		{Kind: scenarios.DeletePolicy, PolicyKey: "x/p"},
		{Kind: scenarios.LabelNamespace, Namespace: &scenarios.Namespace{Name: "x", Labels: map[string]string{"t": "1"}}},
		{Kind: scenarios.RemoveNamespace, Namespace: &scenarios.Namespace{Name: "x"}},
	} {
		if _, err := c.Apply(ctx, ch); err != nil {
			t.Fatalf("Apply %s: %v", ch.Kind, err)
		}
	}
	if err := c.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	if err := c.Teardown(ctx); err != nil {
		t.Fatal(err)
	}
	run := b.RunID()
	want := []string{
		"start npc-" + run + "-0-node pins=true links=[x/a=p0/192.168.1.1 x/b=p1/192.168.1.2]",
		"addNamespace x",
		"addPod x/a linked=true ip=192.168.1.1",
		"addPod x/b linked=true ip=192.168.1.2",
		"labelPod x/a linked=true ip=192.168.1.1",
		"addPod x/c linked=true ip=192.168.1.3",
		"applyPolicy x/p",
		"removePod x/c linked=false ip=",
		"deletePolicy x/p",
		"labelNamespace x",
		"removeNamespace x",
		"sync",
		"close node-pinned=true",
	}
	if got := rec.snapshot(); !slices.Equal(got, want) {
		t.Errorf("enforcer saw\n%q\nwant\n%q", got, want)
	}
	if links := c.Node().Pods(); len(links) != 0 {
		t.Errorf("Node still lists %v after removing namespace x", links)
	}
}

func TestIntegrationEnforcerFailures(t *testing.T) {
	needRoot(t)
	ctx := context.Background()

	rec := &recordingEnforcer{}
	b := newTestBackend(t, Options{Enforcer: recordingFactory(rec, errors.New("boom"))})
	c, err := b.NewCluster(ctx, "start-fails")
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.Setup(ctx, testWorld([]string{"x"}, 1, 0))
	if want := "set up local cluster start-fails: start enforcer: boom"; err == nil || err.Error() != want {
		t.Errorf("Setup error = %v, want %q", err, want)
	}
	if left := runNetns(t, b.RunID()); len(left) != 0 {
		t.Errorf("failed Setup left %v", left)
	}
	if err := c.Teardown(ctx); err != nil {
		t.Errorf("Teardown after failed Setup: %v", err)
	}

	rec = &recordingEnforcer{fail: scenarios.ApplyPolicy}
	b = newTestBackend(t, Options{Enforcer: recordingFactory(rec, nil)})
	c = setUp(t, b, testWorld([]string{"x"}, 1, 0))
	_, err = c.Apply(ctx, scenarios.Change{Kind: scenarios.ApplyPolicy, Policy: policy("x", "p")})
	if want := "apply to local cluster TestIntegrationEnforcerFailures: enforcer: applyPolicy: refused"; err == nil || err.Error() != want {
		t.Errorf("Apply error = %v, want %q", err, want)
	}
}

func TestNodePods(t *testing.T) {
	n := &Node{}
	n.setPod(PodLink{Pod: "y/a", Interface: "p1", Index: 7, IP: "192.168.2.1"})
	n.setPod(PodLink{Pod: "x/a", Interface: "p0", Index: 5, IP: "192.168.1.1"})
	n.setPod(PodLink{Pod: "x/a", Interface: "p2", Index: 9, IP: "192.168.1.1"})
	want := []PodLink{{"x/a", "p2", 9, "192.168.1.1"}, {"y/a", "p1", 7, "192.168.2.1"}}
	if got := n.Pods(); !slices.Equal(got, want) {
		t.Errorf("Pods = %v, want %v", got, want)
	}
	n.removePod("y/a")
	if _, ok := n.Pod("y/a"); ok {
		t.Error("y/a still there after removePod")
	}
	if got, ok := n.Pod("x/a"); !ok || got != want[0] {
		t.Errorf("Pod(x/a) = %v, %v", got, ok)
	}
}
