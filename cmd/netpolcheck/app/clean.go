package app

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/netpolcheck/netpolcheck/clusters/local"
)

type cleanFlags struct {
	all bool
}

func newCleanCommand(s streams) *cobra.Command {
	f := &cleanFlags{}
	cmd := &cobra.Command{
		Use:   "clean",
		Short: "Remove what crashed runs left behind: network namespaces, links and BPF pins of the local cluster",
		Long: `clean removes the network namespaces (and with them their links and routes)
and the BPF pins of local runs whose process is gone. With --all it also removes
those of runs still in progress.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			removed, err := local.Clean(cmd.Context(), f.all)
			for _, r := range removed {
				fmt.Fprintln(s.Out, "removed", r)
			}
			if err != nil {
				return err
			}
			fmt.Fprintf(s.Err, "%d objects removed\n", len(removed))
			return nil
		},
	}
	cmd.Flags().BoolVar(&f.all, "all", false, "also remove the namespaces of runs that are still alive")
	return cmd
}
