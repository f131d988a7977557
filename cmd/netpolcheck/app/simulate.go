package app

import (
	"io"

	"github.com/spf13/cobra"

	"github.com/netpolcheck/netpolcheck/clusters/runner"
	"github.com/netpolcheck/netpolcheck/scenarios"
)

type simulateFlags struct {
	selectionFlags
	outputFlags
}

func newSimulateCommand(s streams) *cobra.Command {
	f := &simulateFlags{}
	cmd := &cobra.Command{
		Use:   "simulate",
		Short: "Compute what the policies mean with the truth oracle, with no cluster, and check the scenarios' expectations",
		Long: `simulate computes, for every step of every selected scenario, what the
NetworkPolicy API means for every (source, destination, port, protocol) cell, and
checks each scenario's hand-written expectation against it. With no -f it runs the
built-in library; with plain manifests the cells are every pod to every pod on
every containerPort of the destination.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := f.validate(); err != nil {
				return err
			}
			scns, err := f.load(s.Err)
			if err != nil {
				return err
			}
			var progress io.Writer = s.Err
			if f.quiet || f.format == "json" {
				progress = nil
			}
			res := runner.Run(cmd.Context(), scns, runner.Options{Progress: progress, Cells: runner.CellDetail(f.cells)})
			// Plain manifests carry no expectation: the user asked what they
			// allow, so the grids (or, for a large world, the namespace
			// summary) are the answer, not just PASS.
			f.verbose = f.verbose || manifestWorlds(scns)
			if err := f.emit(s, res); err != nil {
				return err
			}
			if runner.ExitCode(res) != 0 {
				return failed
			}
			return nil
		},
	}
	f.selectionFlags.bind(cmd.Flags())
	f.outputFlags.bind(cmd.Flags())
	return cmd
}

// manifestWorlds tells whether every scenario is made of plain manifests:
// one step, no expectation.
func manifestWorlds(scns []*scenarios.Scenario) bool {
	for _, s := range scns {
		if len(s.Steps) != 1 || s.Steps[0].Name != scenarios.ManifestStepName || s.Steps[0].Expect != nil {
			return false
		}
	}
	return true
}
