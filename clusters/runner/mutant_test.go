package runner

import (
	"context"
	"maps"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/netpolcheck/netpolcheck/clusters"
	"github.com/netpolcheck/netpolcheck/probes"
	"github.com/netpolcheck/netpolcheck/reports"
	"github.com/netpolcheck/netpolcheck/scenarios"
	"github.com/netpolcheck/netpolcheck/scenarios/generate"
	"github.com/netpolcheck/netpolcheck/scenarios/truth"
)

// mutantCluster is a cluster whose "CNI" has one planted bug: it answers
// probes with what the oracle says of the world after mutate has rewritten
// every applied policy. It lets a test check that reports lead from a real
// bug to its cause.
type mutantCluster struct {
	mutate func(*networkingv1.NetworkPolicy) *networkingv1.NetworkPolicy

	mu       sync.Mutex
	world    *scenarios.World
	policies map[string]*networkingv1.NetworkPolicy
	table    *truth.TruthTable
}

func (m *mutantCluster) Setup(_ context.Context, w *scenarios.World) (clusters.Addresses, error) {
	m.world, m.policies = w, map[string]*networkingv1.NetworkPolicy{}
	return nil, nil
}

func (m *mutantCluster) Apply(_ context.Context, c scenarios.Change) (clusters.Addresses, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.table = nil
	switch c.Kind {
	case scenarios.ApplyPolicy:
		m.policies[c.Policy.Namespace+"/"+c.Policy.Name] = m.mutate(c.Policy.DeepCopy())
	case scenarios.DeletePolicy:
		delete(m.policies, c.PolicyKey)
	case scenarios.LabelPod:
		for i := range m.world.Pods {
			if m.world.Pods[i].ID() == c.Pod.ID() {
				m.world.Pods[i].Labels = maps.Clone(c.Pod.Labels)
			}
		}
	case scenarios.LabelNamespace:
		for i := range m.world.Namespaces {
			if m.world.Namespaces[i].Name == c.Namespace.Name {
				m.world.Namespaces[i].Labels = maps.Clone(c.Namespace.Labels)
			}
		}
	default:
		// Generated cases change only policies and labels.
		panic("mutantCluster: unexpected change " + string(c.Kind))
	}
	return nil, nil
}

func (m *mutantCluster) Probe(_ context.Context, jobs []probes.Job) ([]probes.Result, error) {
	m.mu.Lock()
	if m.table == nil {
		m.world.Policies = slices.Collect(maps.Values(m.policies))
		m.table = truth.Compute(m.world)
	}
	table := m.table
	m.mu.Unlock()
	return answer(table, jobs), nil
}

// answer is what a probe of each job sees on a cluster that enforces table.
func answer(table *truth.TruthTable, jobs []probes.Job) []probes.Result {
	out := make([]probes.Result, len(jobs))
	for i, j := range jobs {
		out[i] = probes.Result{Job: j, Outcome: probes.Error, Detail: "no such cell"}
		if allowed, ok := table.Lookup(j.From, j.To, j.Port, scenarios.Protocol(j.Protocol)); ok {
			out[i].Outcome = probes.Blocked
			if allowed {
				out[i].Outcome = probes.Allowed
			}
		}
	}
	return out
}

func (m *mutantCluster) Teardown(context.Context) error { return nil }

type mutantBackend struct {
	mutate func(*networkingv1.NetworkPolicy) *networkingv1.NetworkPolicy
}

func (b mutantBackend) Name() string { return "mutant" }
func (b mutantBackend) Capabilities() clusters.Capabilities {
	return clusters.Capabilities{SCTP: true, ExternalHosts: true}
}
func (b mutantBackend) Close(context.Context) error { return nil }
func (b mutantBackend) NewCluster(context.Context, string) (clusters.Cluster, error) {
	return &mutantCluster{mutate: b.mutate}, nil
}

// ignoreNamedEgressPorts is a bug some CNIs had: egress rules cannot resolve
// named ports, so a port entry naming one matches nothing, and a rule whose
// every port is named allows nothing.
func ignoreNamedEgressPorts(p *networkingv1.NetworkPolicy) *networkingv1.NetworkPolicy {
	var rules []networkingv1.NetworkPolicyEgressRule
	for _, r := range p.Spec.Egress {
		if len(r.Ports) == 0 {
			rules = append(rules, r)
			continue
		}
		r.Ports = slices.DeleteFunc(r.Ports, func(port networkingv1.NetworkPolicyPort) bool {
			return port.Port != nil && port.Port.Type == intstr.String
		})
		if len(r.Ports) > 0 {
			rules = append(rules, r)
		}
	}
	p.Spec.Egress = rules
	return p
}

// A cluster that fails named ports on egress, run over the full generated
// TCP cases, gets a dimension table that names that bug: port=named and the
// egress directions fail, what the bug does not touch passes, and the values
// every failing case shares are port=named with an egress direction.
func TestDimensionTableLocatesPlantedBug(t *testing.T) {
	if testing.Short() {
		t.Skip("skipping: runs the full generated TCP cases (-short)")
	}
	all, err := generate.Cases(generate.Full)
	if err != nil {
		t.Fatal(err)
	}
	var cases []*scenarios.Scenario
	for _, s := range all {
		if slices.Contains(s.Tags, "protocol=tcp") {
			cases = append(cases, s)
		}
	}
	res := Run(context.Background(), cases, Options{
		Backend: mutantBackend{mutate: ignoreNamedEgressPorts}, Parallel: 4,
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
		"port=named": reports.Fail, "direction=egress": reports.Fail, "direction=both": reports.Fail,
		"direction=ingress": reports.Pass, "port=numeric": reports.Pass, "port=none": reports.Pass, "port=end-port": reports.Pass,
	} {
		if status[tag] != want {
			t.Errorf("%s: %s, want %s", tag, status[tag], want)
		}
	}
	if table.Widespread || len(table.Suspects) == 0 {
		t.Fatalf("no suspects (widespread %v): the table does not point at the bug", table.Widespread)
	}
	for _, s := range table.Suspects {
		joined := strings.Join(s.Values, " + ")
		if !slices.Contains(s.Values, "port=named") && !slices.Contains(s.Values, "port=several") {
			t.Errorf("suspect %s has nothing to do with named ports", joined)
		}
		if slices.Contains(s.Values, "direction=ingress") {
			t.Errorf("suspect %s blames ingress, which the bug leaves alone", joined)
		}
	}
	top := table.Suspects[0].Values
	if !slices.Contains(top, "port=named") || !(slices.Contains(top, "direction=egress") || slices.Contains(top, "direction=both")) {
		t.Errorf("first suspect %v, want port=named with an egress direction", top)
	}
	// The list's --tags entry selects exactly the cases it counts, all failed.
	again, err := scenarios.Selector{Tags: []string{strings.Join(top, "+")}}.Select(cases)
	if err != nil || len(again) != table.Suspects[0].Cases {
		t.Fatalf("%s selects %d cases (%v), want %d", table.Suspects[0].TagsFlag(), len(again), err, table.Suspects[0].Cases)
	}
	status = map[string]reports.Status{}
	for _, sc := range res.Scenarios {
		status[sc.Name] = sc.Status
	}
	for _, sc := range again {
		if status[sc.Name] != reports.Fail {
			t.Errorf("%s selects %s, which did not fail (%s)", table.Suspects[0].TagsFlag(), sc.Name, status[sc.Name])
		}
	}
	t.Logf("%d cases; suspects: %+v", len(cases), table.Suspects)
}
