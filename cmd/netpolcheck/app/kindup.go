package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"time"

	"github.com/spf13/pflag"

	"github.com/netpolcheck/netpolcheck/clusters/kind"
	"github.com/netpolcheck/netpolcheck/clusters/kind/knp"
	"github.com/netpolcheck/netpolcheck/clusters/kind/nodeimage"
)

// defaultKindName is the cluster kind up, run --cluster kind and certify's
// documentation share, so that one command finds what the other made.
const defaultKindName = "netpolcheck"

// kindFlags describe the kind cluster of kind up and run --cluster kind.
type kindFlags struct {
	name       string
	nodes      int
	nodeImage  string
	retain     bool
	imagesFrom string
	npaChannel string
	cni        string
	knpAdapt   string
	// flags is the command's flag set, to tell flags given from defaults.
	flags *pflag.FlagSet
}

// bind adds the flags; retainUsage says what --retain means to the command.
func (f *kindFlags) bind(fs *pflag.FlagSet, retainUsage string) {
	f.flags = fs
	fs.StringVar(&f.name, "name", defaultKindName, "name of the kind cluster (kind)")
	fs.IntVar(&f.nodes, "nodes", 3, "nodes of the kind cluster, the first the control plane (kind)")
	fs.StringVar(&f.nodeImage, "node-image", "", "kindest/node image of the nodes (kind); the offline "+nodeimage.DefaultNodeImage+" when empty, built when missing")
	fs.BoolVar(&f.retain, "retain", false, retainUsage)
	fs.StringVar(&f.imagesFrom, "images-from", "", "directory of prebuilt static probe and enforcer binaries to make the images from (kind); built from the source tree around the working directory when empty")
	fs.StringVar(&f.npaChannel, "npa-channel", kind.ChannelStandard, "network-policy-api channel of the ClusterNetworkPolicy CRD the cluster gets (kind): standard, or experimental for nodes and domainNames peers and named ports")
	fs.StringVar(&f.cni, "cni", "", "policy enforcer of the kind cluster (kind): reference (this project's eBPF enforcer), none, kube-network-policies (built from its Go module "+knp.Version+"), or bring-your-own (none, for your CNI's agent); --enforcer's value when empty")
	fs.StringVar(&f.knpAdapt, "knp-adaptation", knpAdaptAuto, "with --cni kube-network-policies (kind): auto (adapt it to kernels without nftables' queue expression, found by probing the kernel), always, or never (to see it fail open where the kernel needs the adaptation)")
}

// kindOnly are the flags that mean nothing to other clusters.
var kindOnly = []string{"name", "nodes", "node-image", "retain", "images-from", "npa-channel", "cni", "knp-adaptation"}

// The policy enforcers a kind cluster can have (--cni).
const (
	cniReference     = "reference"
	cniNone          = "none"
	cniKNP           = "kube-network-policies"
	cniBringYourOwn  = "bring-your-own"
	knpAdaptAuto     = "auto"
	knpAdaptAlways   = "always"
	knpAdaptNever    = "never"
	knpDeployTimeout = 3 * time.Minute
)

// cniOf resolves --cni against --enforcer (enforcer, given or not), which
// it extends: --enforcer reference|none is --cni reference|none.
func (f *kindFlags) cniOf(enforcer string, enforcerGiven bool) (string, error) {
	switch {
	case f.cni == "":
		return enforcer, checkEnforcer("--enforcer", enforcer)
	case enforcerGiven && enforcer != f.cni:
		return "", badInput("--enforcer %s and --cni %s disagree: give one of them", enforcer, f.cni)
	}
	return f.cni, checkEnforcer("--cni", f.cni)
}

// refuse rejects kind flags given for another cluster.
func (f *kindFlags) refuse(cluster string) error {
	for _, name := range kindOnly {
		if f.flags.Changed(name) {
			return badInput("--%s applies to --cluster kind, not %s", name, cluster)
		}
	}
	return nil
}

// checkEnforcer accepts the enforcers a kind cluster can have.
func checkEnforcer(flag, cni string) error {
	switch cni {
	case cniReference, cniNone, cniKNP, cniBringYourOwn:
		return nil
	}
	return badInput("%s %q: not one of %s, %s, %s, %s", flag, cni, cniReference, cniNone, cniKNP, cniBringYourOwn)
}

// imagesFor are the project images a cluster with this enforcer needs.
func imagesFor(enforcer string) []string {
	if enforcer == cniReference {
		return []string{probeImageName, enforcerImageName}
	}
	return []string{probeImageName}
}

// upCluster makes a kind cluster ready for netpolcheck: the node image
// (built when it is the offline one and the source tree is at hand), the
// project images (built before the cluster, so that a build error costs no
// cluster), the nodes, the images on every node, and the reference enforcer
// Ready on every node unless enforcer is none. When anything after the
// nodes fails, the cluster's logs go into logDir (if given) and the cluster
// is deleted unless retained. It returns the cluster and the probe image.
func upCluster(ctx context.Context, log io.Writer, f *kindFlags, enforcer, logDir string) (*kind.Cluster, string, error) {
	if err := checkUpFlags(f, enforcer); err != nil {
		return nil, "", err
	}
	imgs, err := projectImages(imagesFor(enforcer), imageTag())
	if err != nil {
		return nil, "", err
	}
	built, err := buildImages(ctx, log, f.imagesFrom, imgs)
	if err != nil {
		return nil, "", err
	}
	defer built.Close()
	nodeImage, err := ensureNodeImage(ctx, log, f.nodeImage)
	if err != nil {
		return nil, "", err
	}
	probe := built.refs[probeImageName]
	opts := []kind.Option{kind.WithNodes(f.nodes), kind.WithNodeImage(nodeImage), kind.WithRetain(f.retain),
		kind.WithProbeImage(probe), kind.WithLog(log)}
	if logDir != "" {
		opts = append(opts, kind.WithLogDir(logDir))
	}
	c, err := kind.NewProvider(opts...).Up(ctx, f.name)
	if err != nil {
		return nil, "", err
	}
	if err := prepareCluster(ctx, log, c, built, enforcer, f); err != nil {
		return nil, "", errors.Join(err, abandon(c, log, logDir, f.retain))
	}
	return c, probe, nil
}

// checkUpFlags rejects bad flags before anything asks docker, which may not
// even run: a typo is exit 2, not a docker error.
func checkUpFlags(f *kindFlags, enforcer string) error {
	if err := checkEnforcer("--cni", enforcer); err != nil {
		return err
	}
	switch f.knpAdapt {
	case knpAdaptAuto, knpAdaptAlways, knpAdaptNever:
	default:
		return badInput("--knp-adaptation %q: not one of %s, %s, %s", f.knpAdapt, knpAdaptAuto, knpAdaptAlways, knpAdaptNever)
	}
	if f.flags.Changed("knp-adaptation") && enforcer != cniKNP {
		return badInput("--knp-adaptation applies to --cni %s, not %s", cniKNP, enforcer)
	}
	if f.nodes < 1 {
		return badInput("--nodes %d: must be at least 1", f.nodes)
	}
	if f.npaChannel != kind.ChannelStandard && f.npaChannel != kind.ChannelExperimental {
		return badInput("--npa-channel %q: not one of %s, %s", f.npaChannel, kind.ChannelStandard, kind.ChannelExperimental)
	}
	return nil
}

// prepareCluster loads the images and deploys the enforcer. With the
// reference enforcer or none it first installs the ClusterNetworkPolicy CRD
// (before the enforcer, which watches it only if it is served when it
// starts). kube-network-policies gets no CRD: the pinned release does not
// implement ClusterNetworkPolicy, and a served CRD would tell certify the
// cluster does. Nor does bring-your-own: the CNI that implements it brings
// its own.
func prepareCluster(ctx context.Context, log io.Writer, c *kind.Cluster, built *builtImages, enforcer string, f *kindFlags) error {
	if err := c.LoadImages(ctx, built.archives...); err != nil {
		return err
	}
	if enforcer == cniReference || enforcer == cniNone {
		if err := c.InstallClusterPolicyCRD(ctx, f.npaChannel); err != nil {
			return err
		}
	}
	switch enforcer {
	case cniReference:
		return c.DeployEnforcer(ctx, built.refs[enforcerImageName], kind.DefaultEnforcerTimeout)
	case cniKNP:
		return deployKNP(ctx, log, c, f.knpAdapt)
	}
	return nil
}

// deployKNP builds kube-network-policies from the source tree's wrapper
// module, adapted when the kernel needs it (or as --knp-adaptation says),
// loads it and deploys it.
func deployKNP(ctx context.Context, log io.Writer, c *kind.Cluster, mode string) error {
	root, err := sourceRoot()
	if err != nil {
		return err
	}
	hasQueue, err := c.KernelHasNFTQueue(ctx)
	if err != nil {
		return err
	}
	adapt := mode == knpAdaptAlways || (mode == knpAdaptAuto && !hasQueue)
	switch {
	case adapt && !hasQueue:
		fmt.Fprintf(log, "kind cluster %s: this kernel has no nftables queue expression (CONFIG_NFT_QUEUE): kube-network-policies gets netpolcheck's adaptation, the xtables NFQUEUE target through nft_compat (docs/kind.md)\n", c.Name())
	case adapt:
		fmt.Fprintf(log, "kind cluster %s: kube-network-policies gets the xtables queue adaptation (--knp-adaptation always); this kernel would run it unadapted\n", c.Name())
	case !hasQueue:
		fmt.Fprintf(log, "kind cluster %s: this kernel has no nftables queue expression and --knp-adaptation never: kube-network-policies will program nothing and enforce nothing\n", c.Name())
	}
	dir, err := os.MkdirTemp("", "netpolcheck-knp-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	start := time.Now()
	fmt.Fprintf(log, "kind cluster %s: building kube-network-policies %s from its Go module (minutes the first time; cached after)\n", c.Name(), knp.Version)
	img, err := knp.Build(ctx, log, filepath.Join(root, "hack", "kind", "modules"), dir, adapt)
	if err != nil {
		return err
	}
	fmt.Fprintf(log, "kind cluster %s: built %s (%s)\n", c.Name(), img.Ref, time.Since(start).Round(time.Millisecond))
	if err := c.LoadImages(ctx, img.Archive); err != nil {
		return err
	}
	return c.DeployKubeNetworkPolicies(ctx, img, knpDeployTimeout, hasQueue || adapt)
}

// abandon handles a cluster that cannot be used: its logs first, then its
// deletion unless retained.
func abandon(c *kind.Cluster, log io.Writer, logDir string, retain bool) error {
	ctx := context.Background()
	if logDir != "" {
		if err := c.CollectLogs(ctx, logDir); err != nil {
			fmt.Fprintf(log, "kind cluster %s: %v\n", c.Name(), err)
		} else {
			fmt.Fprintf(log, "kind cluster %s: logs in %s\n", c.Name(), logDir)
		}
	}
	if retain {
		fmt.Fprintf(log, "kind cluster %s: kept for debugging (--retain); netpolcheck kind down --name %s deletes it\n", c.Name(), c.Name())
		return nil
	}
	return c.Down(ctx)
}

// ensureNodeImage returns the node image to use: the one given, or the
// offline image, built (or found up to date, in well under a second) when
// the source tree is at hand, or else used as docker has it.
func ensureNodeImage(ctx context.Context, log io.Writer, given string) (string, error) {
	if given != "" {
		return given, nil
	}
	wd, err := os.Getwd()
	if err != nil {
		return "", fmt.Errorf("working directory: %w", err)
	}
	if root, ok := findModuleRoot(wd); ok {
		start := time.Now()
		cache := os.Getenv("NETPOLCHECK_KIND_CACHE")
		res, err := nodeimage.Build(ctx, nodeimage.Options{
			ModulesDir: filepath.Join(root, "hack", "kind", "modules"), Cache: nodeimage.Cache{Dir: cache}, Log: log,
		})
		if err != nil {
			return "", err
		}
		fmt.Fprintf(log, "node image %s ready (%s)\n", res.Image, time.Since(start).Round(time.Millisecond))
		return res.Image, nil
	}
	if err := exec.CommandContext(ctx, "docker", "image", "inspect", nodeimage.DefaultNodeImage).Run(); err != nil {
		return "", badInput("node image %s is missing and %s is outside the source tree that builds it: run make kind-image in a clone, or give --node-image", nodeimage.DefaultNodeImage, wd)
	}
	return nodeimage.DefaultNodeImage, nil
}
