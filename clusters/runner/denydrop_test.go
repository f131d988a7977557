package runner

import (
	"context"
	"strings"
	"testing"
	"time"

	npav1alpha2 "sigs.k8s.io/network-policy-api/apis/v1alpha2"

	"github.com/netpolcheck/netpolcheck/clusters"
	"github.com/netpolcheck/netpolcheck/probes"
	"github.com/netpolcheck/netpolcheck/reports"
	"github.com/netpolcheck/netpolcheck/scenarios"
)

// refusingBackend enforces exactly as the oracle says, but every blocked
// probe comes back refused, as from a CNI that rejects with a reset.
type refusingBackend struct{ tierMutantBackend }

type refusingCluster struct{ clusters.Cluster }

func (b refusingBackend) NewCluster(ctx context.Context, name string) (clusters.Cluster, error) {
	c, err := b.tierMutantBackend.NewCluster(ctx, name)
	return refusingCluster{c}, err
}

func (c refusingCluster) Probe(ctx context.Context, jobs []probes.Job) ([]probes.Result, error) {
	results, err := c.Cluster.Probe(ctx, jobs)
	for i := range results {
		if results[i].Outcome == probes.Blocked {
			results[i].Blocked = probes.Refused
		}
	}
	return results, err
}

// With DenyMustDrop, a refused cell fails where a ClusterNetworkPolicy Deny
// decided it, naming the rule, and passes where NetworkPolicy isolation did.
func TestDenyMustDrop(t *testing.T) {
	identity := refusingBackend{tierMutantBackend{mutate: passThrough}}
	for _, tc := range []struct {
		scenario     string
		denyMustDrop bool
		want         reports.Status
	}{
		{"cnp-baseline-default-deny", false, reports.Pass},
		{"cnp-baseline-default-deny", true, reports.Fail},
		{"seed000-default-deny-then-allow", true, reports.Pass}, // NetworkPolicy alone: refused is fine
	} {
		res := Run(context.Background(), []*scenarios.Scenario{builtin(t, tc.scenario)}, Options{
			Backend: identity, Converge: time.Millisecond, DenyMustDrop: tc.denyMustDrop, Cells: CellsAll,
		})
		s := res.Scenarios[0]
		if s.Status != tc.want {
			t.Errorf("%s with DenyMustDrop %v: %s (%s), want %s", tc.scenario, tc.denyMustDrop, s.Status, s.Error, tc.want)
			continue
		}
		if tc.want != reports.Fail {
			continue
		}
		found := false
		for _, st := range s.Steps {
			for _, c := range st.Cells {
				if c.Verdict == reports.Fail && strings.Contains(c.Detail, "Baseline cnp/") && strings.Contains(c.Detail, "a Deny must drop") {
					found = true
				}
			}
		}
		if !found {
			t.Errorf("%s: no failed cell names the Deny rule", tc.scenario)
		}
	}
}

// passThrough plants no bug.
func passThrough(p *npav1alpha2.ClusterNetworkPolicy) *npav1alpha2.ClusterNetworkPolicy { return p }
