package app

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"slices"

	"github.com/spf13/pflag"

	"github.com/netpolcheck/netpolcheck/clusters/runner"
	"github.com/netpolcheck/netpolcheck/reports"
	"github.com/netpolcheck/netpolcheck/scenarios"
	"github.com/netpolcheck/netpolcheck/scenarios/generate"
)

// outputFlags say how results are shown and where the reports go.
type outputFlags struct {
	format    string
	reportDir string
	verbose   bool
	quiet     bool
	cells     string
}

func (f *outputFlags) bind(fs *pflag.FlagSet) {
	fs.StringVarP(&f.format, "output", "o", "text", "result format on stdout: text or json")
	fs.StringVar(&f.reportDir, "report-dir", "", "write results.json, junit.xml and report.html into this directory")
	fs.BoolVarP(&f.verbose, "verbose", "v", false, "show the grids of every step, not only of failing ones")
	fs.BoolVarP(&f.quiet, "quiet", "q", false, "no progress on stderr")
	fs.StringVar(&f.cells, "cells", string(runner.CellsAuto), "which steps keep every cell in the results: all, failing, or auto (all unless the run plans over 200,000 cells)")
}

func (f *outputFlags) validate() error {
	if f.format != "text" && f.format != "json" {
		return badInput("--output: %q is not one of text, json", f.format)
	}
	switch runner.CellDetail(f.cells) {
	case runner.CellsAuto, runner.CellsAll, runner.CellsFailing:
	default:
		return badInput("--cells: %q is not one of auto, all, failing", f.cells)
	}
	return f.checkReportDir()
}

// checkReportDir makes the report directory before anything runs, so that a
// path that cannot hold reports (a file, a directory that cannot be made) is
// bad input found at once, not after a run whose results then cannot be kept.
func (f *outputFlags) checkReportDir() error {
	if f.reportDir == "" {
		return nil
	}
	if info, err := os.Stat(f.reportDir); err == nil && !info.IsDir() {
		return badInput("--report-dir %s: is a file, not a directory", f.reportDir)
	}
	if err := os.MkdirAll(f.reportDir, 0o755); err != nil {
		var pe *fs.PathError
		if errors.As(err, &pe) {
			err = fmt.Errorf("%s: %w", pe.Path, pe.Err)
		}
		return badInput("--report-dir %s: cannot make the directory: %v", f.reportDir, err)
	}
	return nil
}

// emit writes the results to stdout and the report directory.
func (f *outputFlags) emit(s streams, r *reports.Results) error {
	addDimensionOrder(r)
	if f.reportDir != "" {
		if err := reports.WriteAll(f.reportDir, r); err != nil {
			return err // already says "write reports"
		}
	}
	if f.format == "json" {
		return reports.WriteJSON(s.Out, r)
	}
	if err := reports.WriteTerminal(s.Out, r, reports.TerminalOptions{Verbose: f.verbose, Color: isTerminal(s.Out)}); err != nil {
		return err
	}
	if f.reportDir != "" {
		fmt.Fprintf(s.Err, "reports written to %s (results.json, junit.xml, report.html)\n", f.reportDir)
	}
	return nil
}

func isTerminal(w any) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// addDimensionOrder records the generator's order of dimensions and values
// in results with generated cases, so that their dimension table lists them
// in it, also when rendered again by `netpolcheck report`.
func addDimensionOrder(r *reports.Results) {
	if r == nil || len(r.DimensionOrder) > 0 || !slices.ContainsFunc(r.Scenarios, func(sc reports.ScenarioResult) bool { return sc.Source == scenarios.SourceGenerated }) {
		return
	}
	for _, d := range generate.Dimensions() {
		r.DimensionOrder = append(r.DimensionOrder, reports.DimensionOrder{Name: d.Name, Values: d.Values})
	}
}
