package app

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/netpolcheck/netpolcheck/clusters/kube"
	"github.com/netpolcheck/netpolcheck/clusters/local"
)

type cleanFlags struct {
	all        bool
	kubeconfig string
	context    string
}

func newCleanCommand(s streams) *cobra.Command {
	f := &cleanFlags{}
	cmd := &cobra.Command{
		Use:   "clean [--kubeconfig FILE] [--context NAME]",
		Short: "Remove what crashed runs left behind: network namespaces, links and BPF pins of the local cluster, or namespaces on a kube cluster",
		Long: `clean removes the network namespaces (and with them their links and routes)
and the BPF pins of local runs whose process is gone. With --all it also removes
those of runs still in progress.

With --kubeconfig or --context it cleans that cluster instead: it deletes the
namespaces labelled netpolcheck.io/run whose run stopped renewing them (or, with
--all, every such namespace). Namespaces without that label are never touched.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			clean := func(ctx context.Context) ([]string, error) { return local.Clean(ctx, f.all) }
			what := "objects"
			if cmd.Flags().Changed("kubeconfig") || cmd.Flags().Changed("context") {
				clean, what = f.cleanKube, "namespaces"
			}
			removed, err := clean(cmd.Context())
			for _, r := range removed {
				fmt.Fprintln(s.Out, "removed", r)
			}
			if err != nil {
				return err
			}
			fmt.Fprintf(s.Err, "%d %s removed\n", len(removed), what)
			return nil
		},
	}
	cmd.Flags().BoolVar(&f.all, "all", false, "also remove the namespaces of runs that are still alive")
	cmd.Flags().StringVar(&f.kubeconfig, "kubeconfig", "", "clean this cluster's namespaces instead of the local cluster ($KUBECONFIG or ~/.kube/config when given empty)")
	cmd.Flags().StringVar(&f.context, "context", "", "kubeconfig context of the cluster to clean")
	return cmd
}

// cleanKube removes the namespaces and cluster policies runs left on the
// cluster of the flags.
func (f *cleanFlags) cleanKube(ctx context.Context) ([]string, error) {
	cfg, err := kube.LoadConfig(f.kubeconfig, f.context)
	if err != nil {
		return nil, badInput("%v", err)
	}
	client, _, err := kube.Connect(cfg)
	if err != nil {
		return nil, fmt.Errorf("connect to %s: %w", cfg.Host, err)
	}
	policyAPI, err := kube.ConnectPolicyAPI(cfg)
	if err != nil {
		return nil, err
	}
	return kube.Clean(ctx, client, policyAPI, f.all)
}
