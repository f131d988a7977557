package app

import (
	"fmt"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/netpolcheck/netpolcheck/clusters/kind"
)

func newKindCommand(s streams) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "kind",
		Short: "Make, load and delete kind clusters for netpolcheck",
		Long: `kind manages local Kubernetes clusters made with kind (as a library; no kind
binary needed) from the offline node image: pods in 192.168.0.0/16 on a ptp
pod network, nodes cut off from outside, the project's probe and enforcer
images loaded into every node, and the reference enforcer as a DaemonSet.

  kubeconfig=$(netpolcheck kind up)               # prints the kubeconfig path
  netpolcheck run --cluster kind                  # runs on that cluster, keeps it
  netpolcheck certify --kubeconfig "$kubeconfig"  # the conformance run on it
  netpolcheck kind down

The images are built from the source tree around the working directory, or
wrapped from the static binaries of --images-from. See docs/kind.md.`,
		Args: cobra.NoArgs,
	}
	cmd.AddCommand(newKindUpCommand(s), newKindDownCommand(s), newKindLoadCommand(s))
	return cmd
}

type kindUpFlags struct {
	kindFlags
	enforcer string
}

func newKindUpCommand(s streams) *cobra.Command {
	f := &kindUpFlags{}
	cmd := &cobra.Command{
		Use:   "up [--name NAME] [--nodes 3] [--enforcer reference|none] [--node-image IMG] [--retain]",
		Short: "Create a kind cluster with the project's images and the reference enforcer, and print its kubeconfig path",
		Long: `up creates the kind cluster --name: the offline node image (built when it is
missing or stale, from the source tree), one control plane and --nodes - 1
workers, the probe and enforcer images on every node, and the reference
enforcer Ready on every node (readiness means its maps are loaded and its
programs attached) unless --enforcer none. It prints the kubeconfig path on
stdout; progress goes to stderr. A cluster of that name must not exist yet.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := checkUpFlags(&f.kindFlags, f.enforcer); err != nil {
				return err
			}
			// Said before minutes of building: up never takes over a cluster.
			if exists, err := kind.NewProvider().Exists(f.name); err != nil || exists {
				if err != nil {
					return err
				}
				return badInput("kind cluster %s exists: netpolcheck kind down --name %s deletes it", f.name, f.name)
			}
			ctx, stop := signal.NotifyContext(cmd.Context(), syscall.SIGINT, syscall.SIGTERM)
			defer stop()
			c, _, err := upCluster(ctx, s.Err, &f.kindFlags, f.enforcer, "")
			if err != nil {
				return err
			}
			fmt.Fprintf(s.Err, "kind cluster %s is up with %d nodes and enforcer %s; netpolcheck kind down --name %s deletes it\n", c.Name(), len(c.Nodes()), f.enforcer, c.Name())
			_, err = fmt.Fprintln(s.Out, c.Kubeconfig())
			return err
		},
	}
	f.bind(cmd.Flags(), "keep the nodes when creation fails, for debugging")
	cmd.Flags().StringVar(&f.enforcer, "enforcer", "reference", "policy enforcer: reference (this project's eBPF enforcer as a DaemonSet) or none")
	return cmd
}

func newKindDownCommand(s streams) *cobra.Command {
	var name string
	cmd := &cobra.Command{
		Use:   "down [--name NAME]",
		Short: "Delete a kind cluster made by netpolcheck, its external hosts and, once unused, its docker network",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			p := kind.NewProvider(kind.WithLog(s.Err))
			existed, err := p.Exists(name)
			if err != nil {
				return err
			}
			// Down also removes what a crashed run left without nodes.
			if err := p.Down(cmd.Context(), name); err != nil {
				return err
			}
			if existed {
				fmt.Fprintf(s.Err, "kind cluster %s deleted\n", name)
			} else {
				fmt.Fprintf(s.Err, "no kind cluster %s\n", name)
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&name, "name", defaultKindName, "name of the kind cluster")
	return cmd
}

func newKindLoadCommand(s streams) *cobra.Command {
	var name, from string
	var names []string
	cmd := &cobra.Command{
		Use:   "load [--name NAME] [--images probe,enforcer] [--images-from DIR]",
		Short: "Build the project's images and load them into every node of an existing kind cluster",
		Long: `load builds the probe and enforcer images of this version (or of --images) and
loads them into every node of the kind cluster --name, any kind cluster: a
CNI project's own one too. It prints the loaded image references on stdout,
one a line; certify's default --probe-image is the probe image loaded here.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			imgs, err := projectImages(names, imageTag())
			if err != nil {
				return err
			}
			ctx, stop := signal.NotifyContext(cmd.Context(), syscall.SIGINT, syscall.SIGTERM)
			defer stop()
			built, err := buildImages(ctx, s.Err, from, imgs)
			if err != nil {
				return err
			}
			defer built.Close()
			if err := kind.NewProvider(kind.WithLog(s.Err)).LoadImages(ctx, name, built.archives...); err != nil {
				return err
			}
			for _, img := range imgs {
				fmt.Fprintln(s.Out, img.Ref)
			}
			return nil
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&name, "name", defaultKindName, "name of the kind cluster")
	fl.StringSliceVar(&names, "images", []string{probeImageName, enforcerImageName}, "images to load: probe, enforcer")
	fl.StringVar(&from, "images-from", "", "directory of prebuilt static probe and enforcer binaries; built from the source tree around the working directory when empty")
	return cmd
}
