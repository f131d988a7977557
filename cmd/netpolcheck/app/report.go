package app

import (
	"fmt"
	"os"

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
	cmd.AddCommand(newReportCompareCommand(s))
	return cmd
}

func newReportCompareCommand(s streams) *cobra.Command {
	var html string
	var all, common bool
	cmd := &cobra.Command{
		Use:   "compare A/results.json B/results.json [--html FILE] [--all] [--common]",
		Short: "Set two runs side by side: the cells, scenarios, features and dimension values that differ",
		Long: `compare sets two results side by side, for a CNI team comparing a pull request's
run against main's, or one CNI against the reference enforcer. It prints what
each run was, then only what differs: scenarios whose status differs, cells
observed differently (or blocked differently: dropped or refused), and
features and dimension values whose status differs. Loopback cells, which
upstream ignores, and cells one run skipped are counted, not listed. With
--common only the scenarios both ran and the behaviour probes both made are
compared (a pull request's --focus run against main's whole library). With
--html it also writes B's HTML report opening with the comparison. It exits
0 when the runs agree and 1 when they differ.`,
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			var runs [2]*reports.Results
			for i, path := range args {
				r, err := reports.ReadResults(path)
				if err != nil {
					return &exitError{code: ExitBadInput, err: err}
				}
				runner.AddLegacyFeatures(r)
				runs[i] = r
			}
			if common {
				runs[0], runs[1] = reports.Common(runs[0], runs[1])
			}
			c := reports.Compare(runs[0], args[0], runs[1], args[1])
			maxCells := 50
			if all {
				maxCells = 0
			}
			if err := reports.WriteComparison(s.Out, c, maxCells); err != nil {
				return err
			}
			if html != "" {
				if err := writeComparisonHTML(html, runs[1], c); err != nil {
					return err
				}
				fmt.Fprintf(s.Err, "comparison written to %s\n", html)
			}
			if !c.Same() {
				return failed
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&html, "html", "", "also write B's HTML report, opening with the comparison, to this file")
	cmd.Flags().BoolVar(&all, "all", false, "list every differing cell, not the first 50")
	cmd.Flags().BoolVar(&common, "common", false, "compare only the scenarios both runs have, and the behaviour probes both made")
	return cmd
}

// writeComparisonHTML writes the comparison page to path.
func writeComparisonHTML(path string, b *reports.Results, c *reports.Comparison) error {
	f, err := os.Create(path)
	if err != nil {
		return &exitError{code: ExitBadInput, err: fmt.Errorf("--html: %w", err)}
	}
	if err := reports.WriteComparisonHTML(f, b, c); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
