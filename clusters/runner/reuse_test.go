package runner

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	npav1alpha2 "sigs.k8s.io/network-policy-api/apis/v1alpha2"

	"github.com/netpolcheck/netpolcheck/clusters"
	"github.com/netpolcheck/netpolcheck/probes"
	"github.com/netpolcheck/netpolcheck/reports"
	"github.com/netpolcheck/netpolcheck/scenarios"
)

// recordingCluster logs what is done to it, for the reuse tests.
type recordingCluster struct {
	id    int
	log   *[]string
	mu    *sync.Mutex
	fails scenarios.ChangeKind // Apply of this kind fails
	// hosts gives each external host address to one cluster at a time, as
	// kind does; held are the addresses this cluster holds.
	hosts     *sync.Map
	held      []string
	exclusive bool // the backend's caps.ExternalHostsExclusive
	// served logs, per Setup, each pod's ports; probed each probe's port.
	served, probed *[]string
}

func (c *recordingCluster) note(format string, args ...any) {
	c.mu.Lock()
	defer c.mu.Unlock()
	*c.log = append(*c.log, fmt.Sprintf("c%d ", c.id)+fmt.Sprintf(format, args...))
}

func (c *recordingCluster) Setup(_ context.Context, w *scenarios.World) (clusters.Addresses, error) {
	c.note("setup %d pods", len(w.Pods))
	c.mu.Lock()
	for _, p := range w.Pods {
		var ports []string
		for _, port := range p.Ports {
			ports = append(ports, port.Name+":"+port.String())
		}
		*c.served = append(*c.served, fmt.Sprintf("c%d %s %s", c.id, p.ID(), strings.Join(ports, ",")))
	}
	c.mu.Unlock()
	for _, h := range w.ExternalHosts {
		if !c.exclusive {
			break // each cluster has hosts of its own (the local cluster; kind without hosts)
		}
		if owner, taken := c.hosts.LoadOrStore(h.IP, c.id); taken {
			// A real backend would wait here for ever.
			return nil, fmt.Errorf("address %s held by c%d", h.IP, owner)
		}
		c.held = append(c.held, h.IP)
	}
	addrs := clusters.Addresses{}
	for i, p := range w.Pods {
		addrs[p.ID()] = fmt.Sprintf("10.9.%d.%d", c.id, i+1)
	}
	return addrs, nil
}

func (c *recordingCluster) Apply(_ context.Context, ch scenarios.Change) (clusters.Addresses, error) {
	switch ch.Kind {
	case scenarios.DeletePolicy:
		c.note("delete %s", ch.PolicyKey)
	case scenarios.ApplyPolicy:
		c.note("apply %s/%s", ch.Policy.Namespace, ch.Policy.Name)
	case scenarios.LabelPod:
		c.note("label %s %v", ch.Pod.ID(), ch.Pod.Labels)
	case scenarios.LabelNamespace:
		c.note("label %s %v", ch.Namespace.Name, ch.Namespace.Labels)
	case scenarios.AddPod:
		c.note("add %s", ch.Pod.ID())
	case scenarios.RemovePod:
		c.note("remove %s", ch.Pod.ID())
	}
	if ch.Kind == c.fails {
		return nil, errors.New("refused")
	}
	return nil, nil
}

func (c *recordingCluster) Probe(_ context.Context, jobs []probes.Job) ([]probes.Result, error) {
	out := make([]probes.Result, len(jobs))
	for i, j := range jobs {
		c.note("probe %s>%s", j.From, j.Host)
		c.mu.Lock()
		*c.probed = append(*c.probed, fmt.Sprintf("c%d %d/%s", c.id, j.Port, j.Protocol))
		c.mu.Unlock()
		out[i] = probes.Result{Job: j, Outcome: truthful(j, 0)}
	}
	return out, nil
}

func (c *recordingCluster) Teardown(context.Context) error {
	c.note("teardown")
	for _, ip := range c.held {
		c.hosts.Delete(ip)
	}
	c.held = nil
	return nil
}

// recordingBackend numbers the clusters it makes.
type recordingBackend struct {
	mu    sync.Mutex
	log   []string
	made  int
	fails scenarios.ChangeKind
	hosts sync.Map
	caps  clusters.Capabilities
	// served and probed: see recordingCluster.
	served, probed []string
}

func (b *recordingBackend) Name() string                        { return "recording" }
func (b *recordingBackend) Capabilities() clusters.Capabilities { return b.caps }
func (b *recordingBackend) Close(context.Context) error         { return nil }
func (b *recordingBackend) NewCluster(context.Context, string) (clusters.Cluster, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.made++
	return &recordingCluster{id: b.made, log: &b.log, mu: &b.mu, fails: b.fails, hosts: &b.hosts, exclusive: b.caps.ExternalHostsExclusive,
		served: &b.served, probed: &b.probed}, nil
}

// lifecycle is the log without probes, which only show addresses. The
// parked clusters are torn down at once at the end of a run, so the final
// teardowns are sorted.
func (b *recordingBackend) lifecycle() []string {
	var out []string
	for _, l := range b.log {
		if !strings.Contains(l, " probe ") {
			out = append(out, l)
		}
	}
	last := len(out)
	for last > 0 && strings.HasSuffix(out[last-1], " teardown") {
		last--
	}
	slices.Sort(out[last:])
	return out
}

// byCluster is lifecycle grouped by cluster, each in its own order: a
// teardown runs in the background, so clusters' lines interleave freely.
func (b *recordingBackend) byCluster() []string {
	out := b.lifecycle()
	slices.SortStableFunc(out, func(x, y string) int {
		cx, _, _ := strings.Cut(x, " ")
		cy, _, _ := strings.Cut(y, " ")
		return cmp.Compare(len(cx), len(cy))*2 + cmp.Compare(cx, cy)
	})
	return out
}

// relabelled is two-pods whose second step relabels x/a and namespace x.
func relabelled(t *testing.T) *scenarios.Scenario {
	t.Helper()
	s := twoPods(t, "allow")
	s.Name = "two-pods-relabelled"
	s.Steps = append(s.Steps, scenarios.Step{Name: "relabel", Actions: []scenarios.Action{
		scenarios.SetPodLabels("x/a", map[string]string{"role": "client"}),
		scenarios.SetNamespaceLabels("x", map[string]string{"team": "blue"}),
	}})
	if err := s.Validate(); err != nil {
		t.Fatal(err)
	}
	return s
}

// threePods has another model: x/a, x/b and x/c.
func threePods(t *testing.T) *scenarios.Scenario {
	t.Helper()
	s, err := scenarios.New("three-pods").Source(scenarios.SourceGenerated).Tags("ingress").
		DefaultPorts(scenarios.Port{Port: 80, Protocol: scenarios.TCP}).
		Namespace("x", map[string]string{"ns": "x"},
			scenarios.PodNamed("a", map[string]string{"pod": "a"}),
			scenarios.PodNamed("b", map[string]string{"pod": "b"}),
			scenarios.PodNamed("c", map[string]string{"pod": "c"})).
		Step("deny b", scenarios.Apply(denyIngressTo("b"))).
		Expect("allow", scenarios.DenyRule("*", "x/b", "")).
		Build()
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestRunReusesClustersOfTheSameModel(t *testing.T) {
	scns := func(t *testing.T) []*scenarios.Scenario {
		return []*scenarios.Scenario{relabelled(t), twoPods(t, "allow"), threePods(t), twoPods(t, "allow")}
	}
	tests := []struct {
		name  string
		fresh bool
		fails scenarios.ChangeKind
		want  []string
	}{
		{"reused", false, "", []string{
			"c1 setup 2 pods", "c1 apply x/deny-b", "c1 label x/a map[pod:a role:client]", "c1 label x map[kubernetes.io/metadata.name:x ns:x team:blue]",
			// The second scenario starts from the model's own labels and no policy.
			"c1 delete x/deny-b", "c1 label x map[kubernetes.io/metadata.name:x ns:x]", "c1 label x/a map[pod:a]", "c1 apply x/deny-b",
			"c1 delete x/deny-b", "c1 apply x/deny-b", "c1 teardown",
			// No scenario to come has three pods: torn down at once.
			"c2 setup 3 pods", "c2 apply x/deny-b", "c2 teardown",
		}},
		{"fresh", true, "", []string{
			"c1 setup 2 pods", "c1 apply x/deny-b", "c1 label x/a map[pod:a role:client]", "c1 label x map[kubernetes.io/metadata.name:x ns:x team:blue]", "c1 teardown",
			"c2 setup 2 pods", "c2 apply x/deny-b", "c2 teardown",
			"c3 setup 3 pods", "c3 apply x/deny-b", "c3 teardown",
			"c4 setup 2 pods", "c4 apply x/deny-b", "c4 teardown",
		}},
		// A scenario that stopped half way leaves a cluster in an unknown
		// state: it is torn down, never handed on.
		{"errored", false, scenarios.LabelPod, []string{
			"c1 setup 2 pods", "c1 apply x/deny-b", "c1 label x/a map[pod:a role:client]", "c1 teardown",
			"c2 setup 2 pods", "c2 apply x/deny-b", "c2 delete x/deny-b", "c2 apply x/deny-b", "c2 teardown",
			"c3 setup 3 pods", "c3 apply x/deny-b", "c3 teardown",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := &recordingBackend{fails: tt.fails}
			res := Run(context.Background(), scns(t), Options{Backend: b, Parallel: 1, FreshClusters: tt.fresh})
			got := b.byCluster()
			if strings.Join(got, "\n") != strings.Join(tt.want, "\n") {
				t.Errorf("cluster log:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
			for i, s := range res.Scenarios {
				want := reports.Pass
				if i == 0 && tt.fails != "" {
					want = reports.Error
				}
				if s.Status != want {
					t.Errorf("%s: %s (%s), want %s", s.Name, s.Status, s.Error, want)
				}
			}
		})
	}
}

// withHost gives a scenario the external host "partner" at 203.0.113.7.
func withHost(t *testing.T, s *scenarios.Scenario) *scenarios.Scenario {
	t.Helper()
	s.Model.ExternalHosts = append(s.Model.ExternalHosts, scenarios.ExternalHost{Name: "partner", IP: "203.0.113.7"})
	if err := s.Validate(); err != nil {
		t.Fatal(err)
	}
	return s
}

// Two models sharing an external host address: the parked cluster of one
// must go before the other sets up, or the other waits for the address.
// (Where addresses are exclusive. Elsewhere each cluster has its own hosts,
// and both models' clusters are parked side by side.)
func TestRunTearsDownParkedClustersHoldingAWantedHost(t *testing.T) {
	tests := []struct {
		name      string
		exclusive bool
		want      []string
	}{
		{"exclusive", true, []string{
			// One chain, in model order: the two-pod cluster is handed on,
			// then goes before the three-pod one sets up.
			"c1 setup 2 pods", "c1 apply x/deny-b", "c1 delete x/deny-b", "c1 apply x/deny-b", "c1 teardown",
			"c2 setup 3 pods", "c2 apply x/deny-b", "c2 teardown",
		}},
		{"not exclusive", false, []string{
			"c1 setup 2 pods", "c1 apply x/deny-b", "c1 delete x/deny-b", "c1 apply x/deny-b", "c1 teardown",
			"c2 setup 3 pods", "c2 apply x/deny-b", "c2 teardown",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := &recordingBackend{caps: clusters.Capabilities{ExternalHosts: true, ExternalHostsExclusive: tt.exclusive}}
			scns := []*scenarios.Scenario{withHost(t, twoPods(t, "allow")), withHost(t, threePods(t)), withHost(t, twoPods(t, "allow"))}
			res := Run(context.Background(), scns, Options{Backend: b, Parallel: 1})
			if got := b.byCluster(); strings.Join(got, "\n") != strings.Join(tt.want, "\n") {
				t.Errorf("cluster log:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
			for _, s := range res.Scenarios {
				if s.Status != reports.Pass {
					t.Errorf("%s: %s (%s), want pass", s.Name, s.Status, s.Error)
				}
			}
		})
	}
}

// Where an external host address is exclusive, scenarios of one model wait
// for the cluster that holds it instead of setting up their own, which
// would wait for the address (the recording cluster fails that Setup).
func TestRunWaitsForTheClusterHoldingExclusiveHosts(t *testing.T) {
	b := &recordingBackend{caps: clusters.Capabilities{ExternalHosts: true, ExternalHostsExclusive: true}}
	scns := []*scenarios.Scenario{withHost(t, twoPods(t, "allow")), withHost(t, twoPods(t, "allow")), withHost(t, twoPods(t, "allow"))}
	res := Run(context.Background(), scns, Options{Backend: b, Parallel: 3})
	for _, s := range res.Scenarios {
		if s.Status != reports.Pass {
			t.Errorf("%s: %s (%s), want pass", s.Name, s.Status, s.Error)
		}
	}
	want := []string{
		"c1 setup 2 pods", "c1 apply x/deny-b",
		"c1 delete x/deny-b", "c1 apply x/deny-b",
		"c1 delete x/deny-b", "c1 apply x/deny-b", "c1 teardown",
	}
	if got := b.lifecycle(); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("cluster log:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestClusterPoolTakeExclusive(t *testing.T) {
	p := newClusterPool(2)
	if c, err := p.takeExclusive(context.Background(), "k"); c != nil || err != nil {
		t.Fatalf("first take: %v, %v; want nothing to reuse", c, err)
	}
	// In use: a second take waits until its context ends...
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := p.takeExclusive(ctx, "k"); !errors.Is(err, context.Canceled) {
		t.Fatalf("take while in use: %v, want context.Canceled", err)
	}
	// ...or the cluster is parked and released, which it then takes.
	got := make(chan *parked)
	go func() {
		c, _ := p.takeExclusive(context.Background(), "k")
		got <- c
	}()
	held := &parked{key: "k", world: &scenarios.World{}}
	p.park(held)
	p.release("k")
	if c := <-got; c != held {
		t.Fatalf("take after release: %v, want the parked cluster", c)
	}
	// A cluster torn down instead lets the next one set up its own.
	go func() {
		c, _ := p.takeExclusive(context.Background(), "k")
		got <- c
	}()
	p.release("k")
	if c := <-got; c != nil {
		t.Fatalf("take after a teardown: %v, want nothing to reuse", c)
	}
}

func TestClusterPoolRefusesAClaimedHost(t *testing.T) {
	host := []scenarios.ExternalHost{{Name: "partner", IP: "203.0.113.7"}}
	p := newClusterPool(4)
	waiting := &scenarios.World{ExternalHosts: host}
	if got := p.claimHosts(waiting); len(got) != 0 {
		t.Fatalf("claim in an empty pool returned %v", got)
	}
	holder := &parked{key: "m1", world: &scenarios.World{ExternalHosts: host}}
	if ev := p.park(holder); len(ev) != 1 || ev[0] != holder {
		t.Errorf("park of a cluster holding a claimed address evicted %v, want the cluster itself", ev)
	}
	p.unclaimHosts(waiting)
	if ev := p.park(holder); len(ev) != 0 {
		t.Errorf("park after the claim ended evicted %v, want nothing", ev)
	}
	if got := p.claimHosts(waiting); len(got) != 1 || got[0] != holder {
		t.Errorf("claim returned %v, want the parked holder", got)
	}
}

func TestClusterPoolEvictsTheOldest(t *testing.T) {
	p := newClusterPool(2)
	w := &scenarios.World{}
	a, b, c := &parked{key: "m1", world: w}, &parked{key: "m2", world: w}, &parked{key: "m1", world: w}
	if ev := p.park(a); len(ev) != 0 {
		t.Fatalf("evicted %v from a pool of one", ev)
	}
	p.park(b)
	if ev := p.park(c); len(ev) != 1 || ev[0] != a {
		t.Fatalf("evicted %v, want the oldest only", ev)
	}
	if got := p.take("m1"); got != c {
		t.Errorf("take(m1) = %v, want the one still parked", got)
	}
	if got := p.take("m1"); got != nil {
		t.Errorf("second take(m1) = %v, want nil", got)
	}
	if got := p.drain(); len(got) != 1 || got[0] != b {
		t.Errorf("drain = %v, want m2's", got)
	}
}

// A parked cluster's cluster policies go before it is handed on, each
// by its kind and name, as its NetworkPolicies do.
func TestResetChangesDeletesClusterPolicies(t *testing.T) {
	cnp := &npav1alpha2.ClusterNetworkPolicy{ObjectMeta: metav1.ObjectMeta{Name: "deny"}}
	anp := &npav1alpha2.ClusterNetworkPolicy{TypeMeta: metav1.TypeMeta{Kind: scenarios.AdminNetworkPolicyKind}, ObjectMeta: metav1.ObjectMeta{Name: "deny"}}
	from := &scenarios.World{ClusterPolicies: []*npav1alpha2.ClusterNetworkPolicy{cnp, anp}}
	var got []string
	for _, c := range resetChanges(from, &scenarios.World{}) {
		got = append(got, string(c.Kind)+" "+c.PolicyKey)
	}
	want := []string{"deleteClusterPolicy ClusterNetworkPolicy/deny", "deleteClusterPolicy AdminNetworkPolicy/deny"}
	if !slices.Equal(got, want) {
		t.Errorf("reset changes = %q, want %q", got, want)
	}
}

// reshaped is twoPods with a last step that creates x/c, or deletes x/a.
func reshaped(t *testing.T, action scenarios.Action) *scenarios.Scenario {
	t.Helper()
	s := twoPods(t, "allow")
	s.Name = "two-pods-reshaped"
	s.Steps = append(s.Steps, scenarios.Step{Name: "reshape", Actions: []scenarios.Action{action}})
	if err := s.Validate(); err != nil {
		t.Fatal(err)
	}
	return s
}

// A scenario that created a pod hands its cluster on once the pod is gone;
// one that deleted a pod of the model tears its cluster down.
func TestRunRestoresReshapedClusters(t *testing.T) {
	create := scenarios.Action{CreatePod: &scenarios.CreatePod{Namespace: "x", PodSpec: scenarios.PodSpec{Name: "c", Labels: map[string]string{"pod": "c"}}}}
	tests := []struct {
		name   string
		action scenarios.Action
		want   []string
	}{
		{"created", create, []string{
			"c1 setup 2 pods", "c1 apply x/deny-b", "c1 add x/c", "c1 remove x/c",
			"c1 delete x/deny-b", "c1 apply x/deny-b", "c1 teardown",
		}},
		{"deleted", scenarios.Action{DeletePod: "x/a"}, []string{
			"c1 setup 2 pods", "c1 apply x/deny-b", "c1 remove x/a", "c1 teardown",
			"c2 setup 2 pods", "c2 apply x/deny-b", "c2 teardown",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := &recordingBackend{}
			s := reshaped(t, tt.action)
			s.Steps[1].Expect = s.Steps[0].Expect
			res := Run(context.Background(), []*scenarios.Scenario{s, twoPods(t, "allow")}, Options{Backend: b, Parallel: 1})
			if got := b.byCluster(); strings.Join(got, "\n") != strings.Join(tt.want, "\n") {
				t.Errorf("cluster log:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
			for _, sc := range res.Scenarios {
				if sc.Status != reports.Pass {
					t.Errorf("%s: %s (%s)", sc.Name, sc.Status, sc.Error)
				}
			}
		})
	}
}

// A cluster holding external hosts is torn down in its lane only where the
// addresses belong to one cluster at a time: elsewhere nobody waits for them.
func TestDetachTearsDownHostsInTheLaneOnlyWhereExclusive(t *testing.T) {
	held := &scenarios.World{ExternalHosts: []scenarios.ExternalHost{{Name: "outside", IP: "198.51.100.10"}}}
	for _, exclusive := range []bool{true, false} {
		b := &recordingBackend{}
		cl, _ := b.NewCluster(context.Background(), "s")
		sc := &ScenarioRun{cluster: cl, held: held, caps: clusters.Capabilities{ExternalHosts: true, ExternalHostsExclusive: exclusive}}
		finish, freesHosts := sc.detach(context.Background())
		if finish == nil || freesHosts != exclusive {
			t.Errorf("exclusive %v: freesHosts = %v, want %v", exclusive, freesHosts, exclusive)
		}
		if err := finish(); err != nil {
			t.Fatal(err)
		}
	}
}
