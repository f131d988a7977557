package kube

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/netpolcheck/netpolcheck/clusters/runner"
	"github.com/netpolcheck/netpolcheck/probes"
	"github.com/netpolcheck/netpolcheck/reports"
	"github.com/netpolcheck/netpolcheck/scenarios"
)

// realCluster connects to the cluster of $NETPOLCHECK_KUBECONFIG (context
// $NETPOLCHECK_CONTEXT), skipping the test without one. The probe image is
// $NETPOLCHECK_PROBE_IMAGE, or netpolcheck/probe:devel, which must be
// present on the nodes (kind load docker-image).
func realCluster(t *testing.T, opts Options) *Backend {
	t.Helper()
	path := os.Getenv("NETPOLCHECK_KUBECONFIG")
	if path == "" {
		t.Skip("NETPOLCHECK_KUBECONFIG is not set: no cluster to run on")
	}
	if testing.Short() {
		t.Skip("skipping: runs pods on a real cluster (-short)")
	}
	cfg, err := LoadConfig(path, os.Getenv("NETPOLCHECK_CONTEXT"))
	if err != nil {
		t.Fatal(err)
	}
	client, exec, err := Connect(cfg)
	if err != nil {
		t.Fatal(err)
	}
	opts.ProbeImage = os.Getenv("NETPOLCHECK_PROBE_IMAGE")
	if opts.ProbeImage == "" {
		opts.ProbeImage = ProbeImage("devel")
	}
	b, err := New(context.Background(), client, exec, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := b.Close(context.Background()); err != nil {
			t.Error(err)
		}
		left, err := client.CoreV1().Namespaces().List(context.Background(), metav1.ListOptions{LabelSelector: RunLabel + "=" + b.RunID()})
		if err != nil || len(left.Items) != 0 {
			t.Errorf("after Close, %d namespaces of run %s are left (%v)", len(left.Items), b.RunID(), err)
		}
	})
	return b
}

// TestIntegrationKubeRunsAScenario runs a small scenario end to end on a real
// cluster: the namespaceSelector on kubernetes.io/metadata.name must select
// the real namespace, and the CNI must enforce it.
func TestIntegrationKubeRunsAScenario(t *testing.T) {
	for _, targets := range [][]probes.Target{{probes.TargetPod}, {probes.TargetPod, probes.TargetService}} {
		t.Run(fmt.Sprint(targets), func(t *testing.T) {
			b := realCluster(t, Options{Targets: targets})
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
			defer cancel()
			res := runner.Run(ctx, []*scenarios.Scenario{smallScenario(t)}, runner.Options{Backend: b, Converge: 30 * time.Second})
			sc := res.Scenarios[0]
			if sc.Status != reports.Pass {
				for _, st := range sc.Steps {
					t.Logf("step %q: %s %s", st.Name, st.Status, st.Error)
					for _, c := range st.Cells {
						if c.Verdict != reports.Pass {
							t.Logf("  %s -> %s %d/%s: %s (%s) %s", c.From, c.To, c.Port, c.Protocol, c.Verdict, c.Detail, c.Reproduce)
						}
					}
				}
				t.Fatalf("scenario %s: %s", sc.Status, sc.Error)
			}
			if b.ExecCalls() < 6 {
				t.Errorf("%d execs, want at least one per source pod and step (6)", b.ExecCalls())
			}
		})
	}
}
