package app

import (
	"encoding/json"
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"
)

type listFlags struct {
	selectionFlags
	format string
}

// listedScenario is one line of `netpolcheck list -o json`.
type listedScenario struct {
	Name   string   `json:"name"`
	Source string   `json:"source"`
	Seed   string   `json:"seed,omitempty"`
	Tags   []string `json:"tags"`
	Steps  int      `json:"steps"`
	File   string   `json:"file,omitempty"`
}

func newListCommand(s streams) *cobra.Command {
	f := &listFlags{}
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List the selected scenarios with their tags and sources",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if f.format != "text" && f.format != "json" {
				return badInput("--output: %q is not one of text, json", f.format)
			}
			scns, err := f.load(s.Err)
			if err != nil {
				return err
			}
			listed := make([]listedScenario, len(scns))
			for i, sc := range scns {
				listed[i] = listedScenario{Name: sc.Name, Source: sc.Source, Seed: sc.Seed, Tags: sc.Tags, Steps: len(sc.Steps), File: sc.File}
			}
			if f.format == "json" {
				enc := json.NewEncoder(s.Out)
				enc.SetIndent("", "  ")
				return enc.Encode(map[string]any{"scenarios": listed})
			}
			tw := tabwriter.NewWriter(s.Out, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "NAME\tSTEPS\tSOURCE\tTAGS")
			for _, l := range listed {
				source := l.Source
				if l.Seed != "" {
					source += " (" + l.Seed + ")"
				}
				fmt.Fprintf(tw, "%s\t%d\t%s\t%s\n", l.Name, l.Steps, source, strings.Join(l.Tags, ","))
			}
			if err := tw.Flush(); err != nil {
				return err
			}
			fmt.Fprintf(s.Err, "%d scenarios\n", len(listed))
			return nil
		},
	}
	f.selectionFlags.bind(cmd.Flags())
	cmd.Flags().StringVarP(&f.format, "output", "o", "text", "text or json")
	return cmd
}
