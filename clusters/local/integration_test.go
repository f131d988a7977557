package local

import (
	"context"
	"errors"
	"io/fs"
	"maps"
	"os"
	"slices"
	"testing"

	"github.com/netpolcheck/netpolcheck/clusters"
	"github.com/netpolcheck/netpolcheck/probes"
	"github.com/netpolcheck/netpolcheck/scenarios"
)

// allJobs probes every pod and external host from every endpoint that has a
// route to it (external hosts do not reach each other) on port/protocol.
func allJobs(w *scenarios.World, port int32, protocol scenarios.Protocol) []probes.Job {
	type target struct{ name, ip string }
	var pods, externals []target
	for _, p := range w.Pods {
		pods = append(pods, target{p.ID(), p.IP})
	}
	for _, h := range w.ExternalHosts {
		externals = append(externals, target{h.Name, h.IP})
	}
	var jobs []probes.Job
	for _, from := range pods {
		for _, to := range append(slices.Clone(pods), externals...) {
			jobs = append(jobs, job(from.name, to.name, to.ip, port, protocol))
		}
	}
	for _, from := range externals {
		for _, to := range pods {
			jobs = append(jobs, job(from.name, to.name, to.ip, port, protocol))
		}
	}
	return jobs
}

func TestIntegrationSetupProbeTeardown(t *testing.T) {
	needRoot(t)
	before := rootNetwork(t)
	b := newTestBackend(t, Options{})
	w := testWorld([]string{"x", "y", "z"}, 3, 2)
	c, err := b.NewCluster(context.Background(), "3x3")
	if err != nil {
		t.Fatal(err)
	}
	addrs, err := c.Setup(context.Background(), w)
	if err != nil {
		t.Fatalf("Setup: %v", err)
	}
	wantAddrs := clusters.Addresses{}
	for _, p := range w.Pods {
		wantAddrs[p.ID()] = p.IP
	}
	if !maps.Equal(addrs, wantAddrs) {
		t.Errorf("addresses = %v, want %v", addrs, wantAddrs)
	}
	run := b.RunID()
	wantNetns := []string{"npc-" + run + "-0-0", "npc-" + run + "-0-1", "npc-" + run + "-0-10", "npc-" + run + "-0-2",
		"npc-" + run + "-0-3", "npc-" + run + "-0-4", "npc-" + run + "-0-5", "npc-" + run + "-0-6", "npc-" + run + "-0-7",
		"npc-" + run + "-0-8", "npc-" + run + "-0-9", "npc-" + run + "-0-node"}
	if got := runNetns(t, run); !slices.Equal(got, wantNetns) {
		t.Errorf("namespaces = %v, want %v", got, wantNetns)
	}

	jobs := append(allJobs(w, 80, scenarios.TCP), allJobs(w, 81, scenarios.UDP)...)
	if len(jobs) != 2*(9*11+2*9) {
		t.Fatalf("built %d jobs", len(jobs))
	}
	results, err := c.Probe(context.Background(), jobs)
	if err != nil {
		t.Fatalf("Probe: %v", err)
	}
	if len(results) != len(jobs) {
		t.Fatalf("%d results for %d jobs", len(results), len(jobs))
	}
	for i := range jobs {
		if results[i].Job != jobs[i] {
			t.Fatalf("result %d is for job %+v, want %+v", i, results[i].Job, jobs[i])
		}
	}
	if bad := notOutcome(results, probes.Allowed); len(bad) > 0 {
		t.Errorf("%d of %d probes not allowed: %v", len(bad), len(results), bad)
	}
	unknown, err := c.Probe(context.Background(), []probes.Job{job("q/nobody", "x/a", "192.168.1.1", 80, scenarios.TCP)})
	if err != nil {
		t.Fatal(err)
	}
	if unknown[0].Outcome != probes.Error || unknown[0].Detail != `unknown source "q/nobody"` {
		t.Errorf("probe from unknown source = %+v, want Error with its name", unknown[0])
	}

	if err := c.Teardown(context.Background()); err != nil {
		t.Fatalf("Teardown: %v", err)
	}
	if err := c.Teardown(context.Background()); err != nil {
		t.Fatalf("second Teardown: %v", err)
	}
	if got := runNetns(t, run); len(got) != 0 {
		t.Errorf("namespaces left after Teardown: %v", got)
	}
	if _, err := c.Probe(context.Background(), jobs[:1]); err == nil {
		t.Error("Probe after Teardown succeeded")
	}
	if err := b.Close(context.Background()); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if _, err := os.Stat(hostPaths.registration(run)); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("registration left after Close: %v", err)
	}
	if after := rootNetwork(t); !slices.Equal(before, after) {
		t.Errorf("root namespace changed:\nbefore %v\n after %v", before, after)
	}
}

// TestIntegrationCloseTearsDown proves Backend.Close removes clusters nobody tore down.
func TestIntegrationCloseTearsDown(t *testing.T) {
	needRoot(t)
	b, err := New(Options{})
	if err != nil {
		t.Fatal(err)
	}
	setUp(t, b, testWorld([]string{"x"}, 2, 1))
	setUp(t, b, testWorld([]string{"x"}, 1, 0))
	if got := len(runNetns(t, b.RunID())); got != 3+1+2 {
		t.Fatalf("%d namespaces after setting up two clusters, want 6", got)
	}
	if err := b.Close(context.Background()); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := b.Close(context.Background()); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if got := runNetns(t, b.RunID()); len(got) != 0 {
		t.Errorf("namespaces left after Close: %v", got)
	}
	if _, err := os.Stat(hostPaths.registration(b.RunID())); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("registration left after Close: %v", err)
	}
	if _, err := b.NewCluster(context.Background(), "late"); err == nil {
		t.Error("NewCluster after Close succeeded")
	}
}
