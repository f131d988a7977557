package app

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
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
	cmd.AddCommand(newKindUpCommand(s), newKindDownCommand(s), newKindLoadCommand(s), newKindDeployCommand(s), newKindEnvCommand(s))
	return cmd
}

type kindUpFlags struct {
	kindFlags
	enforcer string
}

func newKindUpCommand(s streams) *cobra.Command {
	f := &kindUpFlags{}
	cmd := &cobra.Command{
		Use:   "up [--name NAME] [--nodes 3] [--cni reference|none|kube-network-policies|bring-your-own] [--node-image IMG] [--retain]",
		Short: "Create a kind cluster with the project's images and the reference enforcer, and print its kubeconfig path",
		Long: `up creates the kind cluster --name: the offline node image (built when it is
missing or stale, from the source tree), one control plane and --nodes - 1
workers, the probe and enforcer images on every node, and the reference
enforcer Ready on every node (readiness means its maps are loaded and its
programs attached), or the enforcer --cni names:

  reference              this project's eBPF enforcer (the default)
  none                   no enforcer: every probe is allowed
  kube-network-policies  the enforcer Kubernetes' CI uses, built from its Go
                         module, adapted to kernels without nftables' queue
                         expression (docs/kind.md), its table checked on
                         every node
  bring-your-own         no enforcer and no ClusterNetworkPolicy CRD: install
                         your CNI's policy agent, then certify

It prints the kubeconfig path on stdout; progress goes to stderr. A cluster
of that name must not exist yet.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cni, err := f.cniOf(f.enforcer, cmd.Flags().Changed("enforcer"))
			if err != nil {
				return err
			}
			if err := checkUpFlags(&f.kindFlags, cni); err != nil {
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
			c, _, err := upCluster(ctx, s.Err, &f.kindFlags, cni, "")
			if err != nil {
				return err
			}
			fmt.Fprintf(s.Err, "kind cluster %s is up with %d nodes and enforcer %s; netpolcheck kind down --name %s deletes it\n", c.Name(), len(c.Nodes()), cni, c.Name())
			if cni == cniBringYourOwn {
				fmt.Fprintf(s.Err, `next: install your CNI's policy agent (and its ClusterNetworkPolicy CRD if it implements it) with
  kubectl --kubeconfig %[1]s apply -f YOUR-MANIFESTS
and load its images, which the nodes cannot pull, with docker save | docker exec -i NODE ctr -n k8s.io images import -; then
  netpolcheck certify --kubeconfig %[1]s
`, c.Kubeconfig())
			}
			_, err = fmt.Fprintln(s.Out, c.Kubeconfig())
			return err
		},
	}
	f.bind(cmd.Flags(), "keep the nodes when creation fails, for debugging")
	cmd.Flags().StringVar(&f.enforcer, "enforcer", "reference", "policy enforcer: reference (this project's eBPF enforcer as a DaemonSet) or none; --cni names more")
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
	var names, binaries []string
	cmd := &cobra.Command{
		Use:   "load [--name NAME] [--images probe,enforcer] [--images-from DIR] [--binary-image REF=BINARY]",
		Short: "Build the project's images and load them into every node of an existing kind cluster",
		Long: `load builds the probe and enforcer images of this version (or of --images) and
loads them into every node of the kind cluster --name, any kind cluster: a
CNI project's own one too. It prints the loaded image references on stdout,
one a line; certify's default --probe-image is the probe image loaded here.

--binary-image wraps any static binary as image REF, the binary alone at
/NAME (its file name), run as root, and loads it instead: how make
upstream-e2e puts the upstream suite's agnhost on a cluster with no registry.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if len(binaries) > 0 && !cmd.Flags().Changed("images") {
				names = nil
			}
			imgs, err := kind.SelectImages(names, imageTag())
			if err != nil {
				return err
			}
			wrapped, err := binaryImages(binaries)
			if err != nil {
				return err
			}
			var root string
			if from == "" && len(imgs) > 0 {
				if root, err = sourceRoot(); err != nil {
					return err
				}
			}
			ctx, stop := signal.NotifyContext(cmd.Context(), syscall.SIGINT, syscall.SIGTERM)
			defer stop()
			built, err := kind.BuildProjectImages(ctx, s.Err, root, from, imgs)
			if err != nil {
				return err
			}
			defer built.Close()
			archives, err := wrapped.write(built.Dir)
			if err != nil {
				return err
			}
			if err := kind.NewProvider(kind.WithLog(s.Err)).LoadImages(ctx, name, append(built.Archives, archives...)...); err != nil {
				return err
			}
			for _, img := range imgs {
				fmt.Fprintln(s.Out, img.Ref)
			}
			for _, b := range wrapped {
				fmt.Fprintln(s.Out, b.ref)
			}
			return nil
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&name, "name", defaultKindName, "name of the kind cluster")
	fl.StringSliceVar(&names, "images", []string{kind.ProbeImageName, kind.EnforcerImageName}, "images to load: probe, enforcer")
	fl.StringVar(&from, "images-from", "", "directory of prebuilt static probe and enforcer binaries; built from the source tree around the working directory when empty")
	fl.StringArrayVar(&binaries, "binary-image", nil, "REF=BINARY: wrap a static binary as image REF (at /NAME, run as root) and load it; repeatable. Without --images, only these are loaded")
	return cmd
}

func newKindDeployCommand(s streams) *cobra.Command {
	f := &kindFlags{}
	cmd := &cobra.Command{
		Use:   "deploy --cni reference|kube-network-policies [--name NAME] [--knp-adaptation auto|always|never] [--knp-manifest install|install-anp] [--npa-channel standard|experimental]",
		Short: "Deploy an enforcer onto a kind cluster that runs none (or update the one it runs)",
		Long: `deploy puts the enforcer --cni names onto the existing kind cluster --name, as
kind up --cni would have: the reference enforcer, or kube-network-policies
built from its Go module (adapted to the kernel as docs/kind.md says). The
cluster must run no enforcer, or the same one, which is then updated: one
enforcer's rules left under another's would make neither's verdicts its own.
So one cluster can be certified without enforcer, then with one.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := checkUpFlags(f, f.cni); err != nil {
				return err
			}
			if f.cni != cniReference && f.cni != cniKNP {
				return badInput("--cni %s: deploy puts reference or %s onto a cluster", f.cni, cniKNP)
			}
			ctx, stop := signal.NotifyContext(cmd.Context(), syscall.SIGINT, syscall.SIGTERM)
			defer stop()
			return deployOnto(ctx, s.Err, f)
		},
	}
	fl := cmd.Flags()
	f.flags = fl
	fl.StringVar(&f.name, "name", defaultKindName, "name of the kind cluster")
	fl.StringVar(&f.cni, "cni", "", "the enforcer: reference or kube-network-policies")
	fl.StringVar(&f.knpAdapt, "knp-adaptation", knpAdaptAuto, "with --cni kube-network-policies: auto (adapt it where the kernel lacks nftables' queue expression), always, or never")
	fl.StringVar(&f.imagesFrom, "images-from", "", "directory of a prebuilt static enforcer binary for --cni reference; built from the source tree when empty")
	bindKNPManifest(fl, &f.knpManifest)
	fl.StringVar(&f.npaChannel, "npa-channel", kind.ChannelStandard, "with --knp-manifest install-anp: the network-policy-api channel of the v1alpha1 CRDs, standard or experimental")
	f.nodes = 1
	_ = cmd.MarkFlagRequired("cni")
	return cmd
}

// deployOnto deploys the enforcer of f.cni onto the existing cluster f.name.
func deployOnto(ctx context.Context, log io.Writer, f *kindFlags) error {
	c, err := kind.NewProvider(kind.WithLog(log)).Get(ctx, f.name)
	if err != nil {
		return err
	}
	running, err := c.RunningEnforcer(ctx)
	if err != nil {
		return err
	}
	if running != cniNone && running != f.cni {
		return badInput("kind cluster %s runs enforcer %s: deploy puts one onto a cluster without one (netpolcheck kind down --name %s, then kind up --cni %s)", f.name, running, f.name, f.cni)
	}
	s, err := f.spec(log, f.cni, "")
	if err != nil {
		return err
	}
	return kind.Deploy(ctx, c, s)
}

func newKindEnvCommand(s streams) *cobra.Command {
	var name string
	cmd := &cobra.Command{
		Use:   "env [--name NAME]",
		Short: "Print the shell environment that lets other tools (kubectl, kind, the upstream e2e suite) drive a kind cluster",
		Long: `env prints, as shell export lines, what another tool needs to drive the kind
cluster --name as netpolcheck does: KUBECONFIG, and PATH with the docker shim
first on hosts that need it (kind drives the docker CLI, and --privileged
fails there without the shim) and the kind and kubectl binaries the offline
node image build made. So that

  eval "$(netpolcheck kind env --name netpolcheck)"
  kind get clusters; kubectl get nodes; e2e.test --provider kind ...

work on this machine as they would on one with kind installed.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			opts := []kind.Option{kind.WithLog(io.Discard)}
			if cache := os.Getenv("NETPOLCHECK_KIND_CACHE"); cache != "" {
				opts = append(opts, kind.WithBinariesCache(cache))
			}
			env, err := kind.NewProvider(opts...).Env(cmd.Context(), name)
			if err != nil {
				return err
			}
			_, err = io.WriteString(s.Out, envLines(env))
			return err
		},
	}
	cmd.Flags().StringVar(&name, "name", defaultKindName, "name of the kind cluster")
	return cmd
}

// envLines writes env as export lines for a POSIX shell, single-quoted.
func envLines(env kind.Env) string {
	quote := func(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }
	out := "export KUBECONFIG=" + quote(env.Kubeconfig) + "\n"
	if len(env.Path) > 0 {
		out += "export PATH=" + quote(strings.Join(env.Path, ":")) + `:"$PATH"` + "\n"
	}
	return out
}
