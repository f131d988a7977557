package conformance

import (
	"context"
	"flag"
	"fmt"
	"os"
	"slices"
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/netpolcheck/netpolcheck/clusters"
	"github.com/netpolcheck/netpolcheck/clusters/runner"
	"github.com/netpolcheck/netpolcheck/reports"
	"github.com/netpolcheck/netpolcheck/scenarios"
	"github.com/netpolcheck/netpolcheck/scenarios/generate"
	"github.com/netpolcheck/netpolcheck/scenarios/library"
)

var suiteFlags Flags

func init() { suiteFlags.Register(flag.CommandLine) }

// backend is shared by every scenario of the suite and closed after it.
var backend clusters.Backend

func TestConformance(t *testing.T) {
	if testing.Short() {
		t.Skip("the conformance suite probes a cluster with real packets (skipped under -short)")
	}
	if os.Geteuid() != 0 && suiteFlags.Kubeconfig == "" && envKubeconfig() == "" {
		t.Skip("the local cluster needs root; give --kubeconfig to run against a cluster")
	}
	// The spec tree is built here, after flag.Parse, so that --profile
	// can choose the generated cases; Ginkgo builds it in RunSpecs.
	all, err := load(suiteFlags.Profile)
	if err != nil {
		t.Fatal(err)
	}
	describeScenarios(all)
	RegisterFailHandler(Fail)
	RunSpecs(t, "netpolcheck NetworkPolicy conformance")
}

var _ = BeforeSuite(func(ctx SpecContext) {
	b, err := newBackend(ctx, suiteFlags)
	Expect(err).NotTo(HaveOccurred())
	backend = b
	DeferCleanup(func(ctx SpecContext) {
		Expect(backend.Close(ctx)).To(Succeed())
	})
})

// load is the built-in library, and the generated cases of profile.
func load(profile string) ([]*scenarios.Scenario, error) {
	all, err := library.Builtin()
	if err != nil {
		return nil, fmt.Errorf("built-in library: %w", err)
	}
	if profile != "" {
		cases, err := generate.AllCases(generate.Profile(profile))
		if err != nil {
			return nil, fmt.Errorf("--profile %s: %w", profile, err)
		}
		all = append(all, cases...)
	}
	return all, nil
}

func describeScenarios(all []*scenarios.Scenario) bool {
	for _, s := range all {
		describeScenario(s)
	}
	return true
}

func describeScenario(s *scenarios.Scenario) {
	labels := s.Tags
	if s.UsesClusterPolicies() {
		// The API's own name, for --ginkgo.label-filter=ClusterNetworkPolicy;
		// the tags name its features (tier=admin, action=pass, ...).
		labels = append(slices.Clone(labels), "ClusterNetworkPolicy")
	}
	Describe(s.Name, Ordered, Label(labels...), func() {
		var run *runner.ScenarioRun
		BeforeAll(func(ctx SpecContext) {
			if s.UsesClusterPolicies() {
				if reason := backend.Capabilities().ClusterNetworkPolicySkip(s.ExperimentalClusterPolicyFields()); reason != "" {
					Skip(reason)
				}
			}
			var err error
			run, err = runner.Start(ctx, s, runner.Options{
				Backend: backend, Converge: suiteFlags.Converge, ProbeTimeout: suiteFlags.ProbeTimeout, Cells: runner.CellsAll,
			})
			Expect(err).NotTo(HaveOccurred(), "set up scenario %s", s.Name)
			DeferCleanup(func(ctx SpecContext) {
				Expect(run.Close(context.WithoutCancel(ctx))).To(Succeed())
			})
		})
		for i, step := range s.Steps {
			It(step.Name, func(ctx SpecContext) {
				res, err := run.Step(ctx, i)
				Expect(err).NotTo(HaveOccurred(), "apply step %q", step.Name)
				switch res.Status {
				case reports.Skipped:
					Skip(fmt.Sprintf("%v", res.Skipped))
				case reports.Pass:
					if len(res.Skipped) > 0 {
						AddReportEntry("skipped cells", res.Skipped)
					}
				default:
					Fail(StepReport(s.Name, res))
				}
			})
		}
	})
}
