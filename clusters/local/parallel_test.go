package local

import (
	"context"
	"sync"
	"testing"

	"github.com/netpolcheck/netpolcheck/probes"
	"github.com/netpolcheck/netpolcheck/scenarios"
)

// TestIntegrationParallelSameIPs runs two backends at once, the first with
// two clusters, whose pods share addresses but not names: each probe must
// reach its own cluster's pod.
func TestIntegrationParallelSameIPs(t *testing.T) {
	needRoot(t)
	worlds := []*scenarios.World{
		testWorld([]string{"x", "y", "z"}, 3, 1),
		testWorld([]string{"p", "q", "r"}, 3, 1),
		testWorld([]string{"u", "v", "w"}, 3, 1),
	}
	backends := []*Backend{newTestBackend(t, Options{}), newTestBackend(t, Options{})}
	clusters := make([]*Cluster, len(worlds))
	var wg sync.WaitGroup
	for i, w := range worlds {
		b := backends[i%2]
		c, err := b.NewCluster(context.Background(), "parallel")
		if err != nil {
			t.Fatal(err)
		}
		clusters[i] = c.(*Cluster)
		wg.Go(func() {
			if _, err := c.Setup(context.Background(), w); err != nil {
				t.Errorf("Setup %d: %v", i, err)
			}
		})
	}
	wg.Wait()
	if t.Failed() {
		return
	}
	results := make([][]probes.Result, len(worlds))
	for i, w := range worlds {
		wg.Go(func() {
			jobs := append(allJobs(w, 80, scenarios.TCP), allJobs(w, 81, scenarios.UDP)...)
			res, err := clusters[i].Probe(context.Background(), jobs)
			if err != nil {
				t.Errorf("Probe %d: %v", i, err)
			}
			results[i] = res
		})
	}
	wg.Wait()
	for i, res := range results {
		if len(res) != 2*(9*10+9) {
			t.Errorf("cluster %d: %d results", i, len(res))
		}
		// Each job expects its own cluster's identity, so a probe that
		// crossed into the other cluster would not be allowed.
		if bad := notOutcome(res, probes.Allowed); len(bad) > 0 {
			t.Errorf("cluster %d: %d probes not allowed: %v", i, len(bad), bad)
		}
	}
	if backends[0].RunID() == backends[1].RunID() {
		t.Errorf("both backends have run ID %s", backends[0].RunID())
	}
	if clusters[0].prefix == clusters[2].prefix {
		t.Errorf("two clusters of one backend share prefix %s", clusters[0].prefix)
	}
}
