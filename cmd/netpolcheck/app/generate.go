package app

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/netpolcheck/netpolcheck/scenarios/generate"
)

type generateFlags struct {
	selectionFlags
	out string
}

func newGenerateCommand(s streams) *cobra.Command {
	f := &generateFlags{}
	cmd := &cobra.Command{
		Use:   "generate --profile quick|full --out DIR",
		Short: "Write generated cases as scenario files, to edit them or pin them in CI",
		Long: `generate writes the generated cases of a profile, one scenario file each, into
DIR. The same version always writes the same cases with the same names; files it
wrote before that are no longer generated are removed, other files are left alone.
--focus, --skip, --tags and --exclude-tags narrow the set.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if f.profile == "" || f.out == "" {
				return badInput("--profile and --out are required")
			}
			if len(f.files) > 0 {
				return badInput("-f: generate writes generated cases only")
			}
			cases, err := f.load(s.Err)
			if err != nil {
				return err
			}
			if err := generate.WriteFiles(f.out, cases); err != nil {
				return fmt.Errorf("write cases: %w", err)
			}
			fmt.Fprintf(s.Err, "%d cases written to %s\n", len(cases), f.out)
			return nil
		},
	}
	f.selectionFlags.bind(cmd.Flags())
	cmd.Flags().StringVar(&f.out, "out", "", "directory to write the scenario files into")
	return cmd
}
