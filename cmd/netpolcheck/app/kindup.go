package app

import (
	"context"
	"fmt"
	"io"
	"os"

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
	name        string
	nodes       int
	nodeImage   string
	cgroups     string
	retain      bool
	imagesFrom  string
	npaChannel  string
	cni         string
	knpAdapt    string
	knpManifest string
	// flags is the command's flag set, to tell flags given from defaults.
	flags *pflag.FlagSet
}

// bind adds the flags; retainUsage says what --retain means to the command.
func (f *kindFlags) bind(fs *pflag.FlagSet, retainUsage string) {
	f.flags = fs
	fs.StringVar(&f.name, "name", defaultKindName, "name of the kind cluster (kind)")
	fs.IntVar(&f.nodes, "nodes", 3, "nodes of the kind cluster, the first the control plane (kind)")
	fs.StringVar(&f.nodeImage, "node-image", "", "kindest/node image of the nodes (kind); the offline "+nodeimage.DefaultNodeImage+" when empty, built when missing")
	fs.StringVar(&f.cgroups, "cgroup-driver", kind.DefaultCgroupDriver, "cgroup driver of the nodes' kubelet and containerd (kind): cgroupfs, or systemd as kind's own default (cgroupfs makes and removes pods with less CPU on a loaded machine)")
	fs.BoolVar(&f.retain, "retain", false, retainUsage)
	fs.StringVar(&f.imagesFrom, "images-from", "", "directory of prebuilt static probe and enforcer binaries to make the images from (kind); built from the source tree around the working directory when empty")
	fs.StringVar(&f.npaChannel, "npa-channel", kind.ChannelStandard, "network-policy-api channel of the ClusterNetworkPolicy CRD the cluster gets (kind): standard, or experimental for nodes and domainNames peers and named ports")
	fs.StringVar(&f.cni, "cni", "", "policy enforcer of the kind cluster (kind): reference (this project's eBPF enforcer), none, kube-network-policies (built from its Go module "+knp.Version+"), or bring-your-own (none, for your CNI's agent); --enforcer's value when empty")
	fs.StringVar(&f.knpAdapt, "knp-adaptation", knpAdaptAuto, "with --cni kube-network-policies (kind): auto (adapt it to kernels without nftables' queue expression, found by probing the kernel), always, or never (to see it fail open where the kernel needs the adaptation)")
	bindKNPManifest(fs, &f.knpManifest)
}

// bindKNPManifest adds --knp-manifest.
func bindKNPManifest(fs *pflag.FlagSet, into *string) {
	fs.StringVar(into, "knp-manifest", knpManifestPlain, "with --cni kube-network-policies (kind): which of the release's deployments: install (NetworkPolicy), or install-anp (also AdminNetworkPolicy and BaselineAdminNetworkPolicy v1alpha1, with their CRDs from the network-policy-api version it pins, in --npa-channel's channel)")
}

// kindOnly are the flags that mean nothing to other clusters.
var kindOnly = []string{"name", "nodes", "node-image", "cgroup-driver", "retain", "images-from", "npa-channel", "cni", "knp-adaptation", "knp-manifest"}

// The policy enforcers a kind cluster can have (--cni).
const (
	cniReference     = kind.CNIReference
	cniNone          = kind.CNINone
	cniKNP           = kind.CNIKNP
	cniBringYourOwn  = kind.CNIBringYourOwn
	knpAdaptAuto     = kind.KNPAdaptAuto
	knpManifestPlain = "install"
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
	if err := kind.CheckCNI(cni); err != nil {
		return badInput("%s %v", flag, err)
	}
	return nil
}

// spec is the cluster the flags describe, with this enforcer; the project
// images are built from the source tree around the working directory
// unless --images-from gives them.
func (f *kindFlags) spec(log io.Writer, enforcer, logDir string) (kind.Spec, error) {
	s := kind.Spec{
		Name: f.name, Nodes: f.nodes, NodeImage: f.nodeImage, CgroupDriver: f.cgroups, CNI: enforcer, KNPAdapt: f.knpAdapt, KNPManifest: f.knpManifest,
		NPAChannel: f.npaChannel, ImageTag: imageTag(), BinariesFrom: f.imagesFrom,
		NodeImageCache: os.Getenv("NETPOLCHECK_KIND_CACHE"), Retain: f.retain, LogDir: logDir, Log: log,
	}
	if f.imagesFrom == "" {
		var err error
		if s.SourceRoot, err = sourceRoot(); err != nil {
			return s, err
		}
	} else if wd, err := os.Getwd(); err == nil {
		// The node image and kube-network-policies are still built from a
		// source tree when there is one.
		s.SourceRoot, _ = kind.FindSourceRoot(wd)
	}
	return s, nil
}

// checkUpFlags rejects bad flags before anything asks docker, which may not
// even run: a typo is exit 2, not a docker error.
func checkUpFlags(f *kindFlags, enforcer string) error {
	for _, flag := range []string{"knp-adaptation", "knp-manifest"} {
		if f.flags.Changed(flag) && enforcer != cniKNP && kind.CheckCNI(enforcer) == nil {
			return badInput("--%s applies to --cni %s, not %s", flag, cniKNP, enforcer)
		}
	}
	s, _ := f.spec(io.Discard, enforcer, "")
	return s.Check()
}

// upCluster makes a kind cluster ready for netpolcheck (kind.Create). It
// returns the cluster and the probe image.
func upCluster(ctx context.Context, log io.Writer, f *kindFlags, enforcer, logDir string) (*kind.Cluster, string, error) {
	s, err := f.spec(log, enforcer, logDir)
	if err != nil {
		return nil, "", err
	}
	return kind.Create(ctx, s)
}

// sourceRoot finds the source tree around the working directory.
func sourceRoot() (string, error) {
	wd, err := os.Getwd()
	if err != nil {
		return "", fmt.Errorf("working directory: %w", err)
	}
	root, ok := kind.FindSourceRoot(wd)
	if !ok {
		return "", badInput("%s is not inside the netpolcheck source tree (no go.mod of %s above it): run from a clone, or give --images-from DIR with static probe and enforcer binaries (CGO_ENABLED=0 go build -o DIR/ ./cmd/probe ./cmd/enforcer)", wd, kind.ModulePath)
	}
	return root, nil
}
