package app

import (
	"io"

	"github.com/spf13/cobra"

	"github.com/netpolcheck/netpolcheck/clusters/runner"
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
