package runner

import (
	"context"
	"maps"
	"slices"
	"sync"
	"testing"
	"time"

	networkingv1 "k8s.io/api/networking/v1"
	npav1alpha2 "sigs.k8s.io/network-policy-api/apis/v1alpha2"

	"github.com/netpolcheck/netpolcheck/clusters"
	"github.com/netpolcheck/netpolcheck/probes"
	"github.com/netpolcheck/netpolcheck/reports"
	"github.com/netpolcheck/netpolcheck/scenarios"
	"github.com/netpolcheck/netpolcheck/scenarios/generate"
	"github.com/netpolcheck/netpolcheck/scenarios/truth"
)

// tierMutantCluster is a cluster whose "CNI" enforces ClusterNetworkPolicy
// with one planted bug in the tiers: mutate rewrites every applied cluster
// policy, and probes answer what the oracle says of the rewritten world.
type tierMutantCluster struct {
	mutate func(*npav1alpha2.ClusterNetworkPolicy) *npav1alpha2.ClusterNetworkPolicy

	mu       sync.Mutex
	world    *scenarios.World
	policies map[string]*networkingv1.NetworkPolicy
	cluster  map[string]*npav1alpha2.ClusterNetworkPolicy
}

func (m *tierMutantCluster) Setup(_ context.Context, w *scenarios.World) (clusters.Addresses, error) {
	m.world, m.policies, m.cluster = w, map[string]*networkingv1.NetworkPolicy{}, map[string]*npav1alpha2.ClusterNetworkPolicy{}
	return nil, nil
}

func (m *tierMutantCluster) Apply(_ context.Context, c scenarios.Change) (clusters.Addresses, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	switch c.Kind {
	case scenarios.ApplyPolicy:
		m.policies[c.Policy.Namespace+"/"+c.Policy.Name] = c.Policy.DeepCopy()
	case scenarios.ApplyClusterPolicy:
		m.cluster[c.ClusterPolicy.Name] = m.mutate(c.ClusterPolicy.DeepCopy())
	default:
		panic("tierMutantCluster: unexpected change " + string(c.Kind))
	}
	return nil, nil
}

func (m *tierMutantCluster) Probe(_ context.Context, jobs []probes.Job) ([]probes.Result, error) {
	m.mu.Lock()
	m.world.Policies = slices.Collect(maps.Values(m.policies))
	m.world.ClusterPolicies = slices.Collect(maps.Values(m.cluster))
	table := truth.Compute(m.world)
	m.mu.Unlock()
	return answer(table, jobs), nil
}

func (m *tierMutantCluster) Teardown(context.Context) error { return nil }

type tierMutantBackend struct {
	mutate func(*npav1alpha2.ClusterNetworkPolicy) *npav1alpha2.ClusterNetworkPolicy
}

func (b tierMutantBackend) Name() string { return "tier-mutant" }
func (b tierMutantBackend) Capabilities() clusters.Capabilities {
	return clusters.Capabilities{SCTP: true, ExternalHosts: true, ClusterNetworkPolicy: true, ClusterNetworkPolicyExperimental: true}
}
func (b tierMutantBackend) Close(context.Context) error { return nil }
func (b tierMutantBackend) NewCluster(context.Context, string) (clusters.Cluster, error) {
	return &tierMutantCluster{mutate: b.mutate}, nil
}

// passAsDeny is a tier bug: Pass ends evaluation blocked, as Deny does.
func passAsDeny(p *npav1alpha2.ClusterNetworkPolicy) *npav1alpha2.ClusterNetworkPolicy {
	for i := range p.Spec.Ingress {
		if p.Spec.Ingress[i].Action == npav1alpha2.ClusterNetworkPolicyRuleActionPass {
			p.Spec.Ingress[i].Action = npav1alpha2.ClusterNetworkPolicyRuleActionDeny
		}
	}
	for i := range p.Spec.Egress {
		if p.Spec.Egress[i].Action == npav1alpha2.ClusterNetworkPolicyRuleActionPass {
			p.Spec.Egress[i].Action = npav1alpha2.ClusterNetworkPolicyRuleActionDeny
		}
	}
	return p
}

// A cluster whose tiers treat Pass as Deny, run over the full generated
// ClusterNetworkPolicy cases, gets a dimension table that blames action=pass
// and nothing else: Accept and Deny pass, and every suspect holds action=pass.
func TestDimensionTableLocatesPlantedTierBug(t *testing.T) {
	cases, err := generate.ClusterCases(generate.Full)
	if err != nil {
		t.Fatal(err)
	}
	res := Run(context.Background(), cases, Options{
		Backend: tierMutantBackend{mutate: passAsDeny}, Parallel: 4,
		Converge: time.Millisecond, FreshClusters: true, Cells: CellsFailing,
	})
	table := reports.Dimensions(res)
	if table == nil {
		t.Fatal("no dimension table")
	}
	status := map[string]reports.Status{}
	for _, d := range table.Dimensions {
		for _, v := range d.Values {
			status[d.Name+"="+v.Value] = v.Status
		}
	}
	for tag, want := range map[string]reports.Status{
		"action=pass": reports.Fail, "action=accept": reports.Pass, "action=deny": reports.Pass,
	} {
		if status[tag] != want {
			t.Errorf("%s: %s, want %s", tag, status[tag], want)
		}
	}
	if table.Widespread || len(table.Suspects) == 0 {
		t.Fatalf("no suspects (widespread %v): the table does not point at the bug", table.Widespread)
	}
	for _, s := range table.Suspects {
		if !slices.Contains(s.Values, "action=pass") {
			t.Errorf("suspect %v does not hold action=pass", s.Values)
		}
	}
	t.Logf("%d cases; suspects: %+v", len(cases), table.Suspects)
}
