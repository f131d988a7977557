package app

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/netpolcheck/netpolcheck/clusters/runner"
	"github.com/netpolcheck/netpolcheck/reports"
)

type reportFlags struct {
	out     string
	verbose bool
}

func newReportCommand(s streams) *cobra.Command {
	f := &reportFlags{}
	cmd := &cobra.Command{
		Use:   "report results.json --out DIR",
		Short: "Render the terminal grids, JUnit XML and HTML report again from a results.json",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			r, err := reports.ReadResults(args[0])
			if err != nil {
				return &exitError{code: ExitBadInput, err: err}
			}
			// Results from before steps recorded their features.
			runner.AddLegacyFeatures(r)
			if f.out != "" {
				if err := reports.WriteAll(f.out, r); err != nil {
					return fmt.Errorf("write reports: %w", err)
				}
				fmt.Fprintf(s.Err, "reports written to %s\n", f.out)
			}
			return reports.WriteTerminal(s.Out, r, reports.TerminalOptions{Verbose: f.verbose, Color: isTerminal(s.Out)})
		},
	}
	cmd.Flags().StringVar(&f.out, "out", "", "directory to write results.json, junit.xml and report.html into")
	cmd.Flags().BoolVarP(&f.verbose, "verbose", "v", false, "show the grids of every step")
	return cmd
}
