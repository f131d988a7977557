package kind

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/netpolcheck/netpolcheck/clusters/kind/internal/run"
	"github.com/netpolcheck/netpolcheck/clusters/kind/knp"
	"github.com/netpolcheck/netpolcheck/clusters/kind/nodeimage"
)

// The policy enforcers a cluster can be made with.
const (
	CNIReference    = "reference"
	CNINone         = "none"
	CNIKNP          = "kube-network-policies"
	CNIBringYourOwn = "bring-your-own"
)

// How kube-network-policies is fitted to a kernel without nftables' queue
// expression (docs/kind.md).
const (
	KNPAdaptAuto   = "auto"
	KNPAdaptAlways = "always"
	KNPAdaptNever  = "never"
)

// knpDeployTimeout bounds kube-network-policies' rollout.
const knpDeployTimeout = 3 * time.Minute

// CheckCNI accepts the enforcers a cluster can be made with.
func CheckCNI(cni string) error {
	switch cni {
	case CNIReference, CNINone, CNIKNP, CNIBringYourOwn:
		return nil
	}
	return inputErrorf("%q: not one of %s, %s, %s, %s", cni, CNIReference, CNINone, CNIKNP, CNIBringYourOwn)
}

// Spec is a cluster to make ready for netpolcheck. Its fields are kind up's
// flags, and Check names them so.
type Spec struct {
	Name  string
	Nodes int
	// NodeImage is any kindest/node image. Empty means the offline one,
	// built (or found up to date) from SourceRoot, or used as docker has it
	// when there is no source tree.
	NodeImage string
	// CgroupDriver is the nodes' cgroup driver; empty means DefaultCgroupDriver.
	CgroupDriver string
	CNI          string
	KNPAdapt     string
	// KNPManifest is which of the release's deployments to use, by its
	// file name without ".yaml"; empty means install. install-anp also
	// enforces AdminNetworkPolicy and BaselineAdminNetworkPolicy, whose
	// CRDs (from the network-policy-api version the release pins, in the
	// NPAChannel channel) are installed first.
	KNPManifest string
	NPAChannel  string
	// ImageTag tags the project images.
	ImageTag string
	// SourceRoot is the module the project images, the node image and
	// kube-network-policies are built from; empty outside a source tree.
	SourceRoot string
	// BinariesFrom holds prebuilt static probe and enforcer binaries to wrap
	// instead of building them.
	BinariesFrom string
	// NodeImageCache is the node image build's cache; empty for its default.
	NodeImageCache string
	// Retain keeps the nodes when creation fails, for debugging.
	Retain bool
	// LogDir receives the cluster's logs when creation fails; empty for none.
	LogDir string
	Log    io.Writer
}

// Check rejects a spec no cluster can be made from, naming the flag, before
// anything asks docker (which may not even run): a typo is bad input, not
// a docker error.
func (s Spec) Check() error {
	if err := CheckCNI(s.CNI); err != nil {
		return inputErrorf("--cni %v", err)
	}
	switch s.KNPAdapt {
	case KNPAdaptAuto, KNPAdaptAlways, KNPAdaptNever:
	default:
		return inputErrorf("--knp-adaptation %q: not one of %s, %s, %s", s.KNPAdapt, KNPAdaptAuto, KNPAdaptAlways, KNPAdaptNever)
	}
	if s.KNPManifest != "" {
		if err := knp.CheckManifest(s.KNPManifest); err != nil {
			return inputErrorf("--knp-manifest %v", err)
		}
	}
	if s.Nodes < 1 {
		return inputErrorf("--nodes %d: must be at least 1", s.Nodes)
	}
	switch s.CgroupDriver {
	case "", CgroupDriverCgroupfs, CgroupDriverSystemd:
	default:
		return inputErrorf("--cgroup-driver %q: not one of %s, %s", s.CgroupDriver, CgroupDriverCgroupfs, CgroupDriverSystemd)
	}
	if s.NPAChannel != ChannelStandard && s.NPAChannel != ChannelExperimental {
		return inputErrorf("--npa-channel %q: not one of %s, %s", s.NPAChannel, ChannelStandard, ChannelExperimental)
	}
	return nil
}

// imageNames are the project images a cluster with this enforcer needs.
func imageNames(cni string) []string {
	if cni == CNIReference {
		return []string{ProbeImageName, EnforcerImageName}
	}
	return []string{ProbeImageName}
}

// Step is one action of making a cluster ready.
type Step struct {
	Name string
	Run  func(context.Context) error
}

// Creation makes one cluster ready for netpolcheck, in the order kind's own
// create actions run: the images first (so that a build error costs no
// cluster), then the nodes, then what runs on them. kind up runs its steps
// with Create; the kind e2e suite runs the same steps as its environment's
// Setup.
type Creation struct {
	spec      Spec
	images    []BinaryImage
	built     *BuiltImages
	nodeImage string
	cluster   *Cluster
}

// NewCreation checks spec and plans its creation.
func NewCreation(spec Spec) (*Creation, error) {
	if err := spec.Check(); err != nil {
		return nil, err
	}
	if spec.Log == nil {
		spec.Log = io.Discard
	}
	imgs, err := SelectImages(imageNames(spec.CNI), spec.ImageTag)
	if err != nil {
		return nil, err
	}
	return &Creation{spec: spec, images: imgs}, nil
}

// Steps are the creation's actions, each run once, in order.
func (c *Creation) Steps() []Step {
	steps := []Step{
		{"build the project images", c.buildImages},
		{"ensure the node image", c.ensureNodeImage},
		{fmt.Sprintf("create the %d nodes", c.spec.Nodes), c.createNodes},
		{"load the images into every node", c.loadImages},
	}
	// Not for kube-network-policies: the pinned release does not implement
	// ClusterNetworkPolicy, and a served CRD would tell certify the cluster
	// does. Nor for bring-your-own: the CNI that implements it brings its
	// own. Before the enforcer, which watches it only if it is served when
	// it starts.
	if c.spec.CNI == CNIReference || c.spec.CNI == CNINone {
		steps = append(steps, Step{"install the ClusterNetworkPolicy CRD (" + c.spec.NPAChannel + ")", c.installCRD},
			Step{"install the AdminNetworkPolicy and BaselineAdminNetworkPolicy CRDs (" + c.spec.NPAChannel + ")", c.installAdminCRDs})
	}
	switch c.spec.CNI {
	case CNIReference:
		steps = append(steps, Step{"deploy the reference enforcer", c.deployEnforcer})
	case CNIKNP:
		steps = append(steps, Step{"deploy kube-network-policies " + knp.Version + " (" + c.spec.knpManifest() + ")", c.deployKNP})
	}
	return steps
}

// knpManifest is the file of the release's deployment the spec names.
func (s Spec) knpManifest() string {
	if s.KNPManifest == "" {
		return knp.ManifestFile
	}
	return s.KNPManifest + ".yaml"
}

// Cluster is the cluster once its nodes exist; nil before.
func (c *Creation) Cluster() *Cluster { return c.cluster }

// ProbeImage is the probe image the cluster's pods and external hosts run.
func (c *Creation) ProbeImage() string {
	for _, img := range c.images {
		if img.name() == ProbeImageName {
			return img.Ref
		}
	}
	return ""
}

// Close removes the image archives; the cluster stays.
func (c *Creation) Close() error { return c.built.Close() }

// Create makes the cluster of spec ready, timing each step. When a step
// after the nodes fails, the cluster's logs go to spec.LogDir (if given)
// and the cluster is deleted unless retained.
func Create(ctx context.Context, spec Spec) (*Cluster, string, error) {
	cr, err := NewCreation(spec)
	if err != nil {
		return nil, "", err
	}
	defer cr.Close()
	for _, step := range cr.Steps() {
		start := time.Now()
		if err := step.Run(ctx); err != nil {
			if cr.cluster != nil {
				err = errors.Join(err, cr.cluster.Abandon(spec.LogDir, spec.Retain))
			}
			return nil, "", err
		}
		fmt.Fprintf(cr.spec.Log, "kind cluster %s: %s (%s)\n", spec.Name, step.Name, time.Since(start).Round(time.Millisecond))
	}
	return cr.cluster, cr.ProbeImage(), nil
}

// Deploy puts spec's enforcer (reference or kube-network-policies) onto the
// existing cluster c, as Create would have.
func Deploy(ctx context.Context, c *Cluster, spec Spec) error {
	cr, err := NewCreation(spec)
	if err != nil {
		return err
	}
	defer cr.Close()
	cr.cluster = c
	switch spec.CNI {
	case CNIKNP:
		return cr.deployKNP(ctx)
	case CNIReference:
		cr.images, err = SelectImages([]string{EnforcerImageName}, spec.ImageTag)
		if err != nil {
			return err
		}
		return runAll(ctx, cr.buildImages, cr.loadImages, cr.deployEnforcer)
	}
	return inputErrorf("--cni %s: deploy puts %s or %s onto a cluster", spec.CNI, CNIReference, CNIKNP)
}

// LoadProbeImage builds spec's probe image and loads it into the existing
// cluster c, which a run reuses as it is. It returns the image.
func LoadProbeImage(ctx context.Context, c *Cluster, spec Spec) (string, error) {
	spec.CNI = CNINone // a creation without enforcer plans the probe image alone
	cr, err := NewCreation(spec)
	if err != nil {
		return "", err
	}
	defer cr.Close()
	cr.cluster = c
	return cr.ProbeImage(), runAll(ctx, cr.buildImages, cr.loadImages)
}

func runAll(ctx context.Context, steps ...func(context.Context) error) error {
	for _, step := range steps {
		if err := step(ctx); err != nil {
			return err
		}
	}
	return nil
}

func (c *Creation) buildImages(ctx context.Context) error {
	built, err := BuildProjectImages(ctx, c.spec.Log, c.spec.SourceRoot, c.spec.BinariesFrom, c.images)
	c.built = built
	return err
}

// ensureNodeImage settles the node image: the one given, or the offline
// image, built (or found up to date, in well under a second) from the
// source tree, or else used as docker has it.
func (c *Creation) ensureNodeImage(ctx context.Context) error {
	switch {
	case c.spec.NodeImage != "":
		c.nodeImage = c.spec.NodeImage
	case c.spec.SourceRoot != "":
		res, err := nodeimage.Build(ctx, nodeimage.Options{
			ModulesDir: filepath.Join(c.spec.SourceRoot, "hack", "kind", "modules"),
			Cache:      nodeimage.Cache{Dir: c.spec.NodeImageCache}, Log: c.spec.Log,
		})
		if err != nil {
			return err
		}
		c.nodeImage = res.Image
	default:
		if _, err := run.Docker(ctx, nil, "image", "inspect", nodeimage.DefaultNodeImage); err != nil {
			return inputErrorf("node image %s is missing and there is no source tree to build it from: run make kind-image in a clone, or give --node-image", nodeimage.DefaultNodeImage)
		}
		c.nodeImage = nodeimage.DefaultNodeImage
	}
	return nil
}

func (c *Creation) createNodes(ctx context.Context) error {
	opts := []Option{WithNodes(c.spec.Nodes), WithNodeImage(c.nodeImage), WithRetain(c.spec.Retain),
		WithProbeImage(c.ProbeImage()), WithLog(c.spec.Log)}
	if c.spec.CgroupDriver != "" {
		opts = append(opts, WithCgroupDriver(c.spec.CgroupDriver))
	}
	if c.spec.LogDir != "" {
		opts = append(opts, WithLogDir(c.spec.LogDir))
	}
	cluster, err := NewProvider(opts...).Up(ctx, c.spec.Name)
	c.cluster = cluster
	return err
}

// loadImages loads the archives into every node and the docker host, then
// removes them.
func (c *Creation) loadImages(ctx context.Context) error {
	if err := c.cluster.LoadImages(ctx, c.built.Archives...); err != nil {
		return err
	}
	return c.built.Close()
}

func (c *Creation) installCRD(ctx context.Context) error {
	return c.cluster.InstallClusterPolicyCRD(ctx, c.spec.NPAChannel)
}

// installAdminCRDs installs the v1alpha1 CRDs from the network-policy-api
// version kube-network-policies pins, the one release that has them; with
// no source tree to find it from, the cluster goes without, and their
// scenarios are skipped saying so.
func (c *Creation) installAdminCRDs(ctx context.Context) error {
	if c.spec.SourceRoot == "" {
		fmt.Fprintf(c.spec.Log, "kind cluster %s: no AdminNetworkPolicy CRDs: they come from the Go module hack/kind/modules/%s pins, and there is no source tree\n", c.spec.Name, knp.WrapperModule)
		return nil
	}
	crds, err := knp.AdminPolicyCRDs(ctx, c.spec.Log, filepath.Join(c.spec.SourceRoot, "hack", "kind", "modules"), c.spec.NPAChannel)
	if err != nil {
		return err
	}
	return c.cluster.InstallAdminPolicyCRDs(ctx, crds, c.spec.NPAChannel)
}

func (c *Creation) deployEnforcer(ctx context.Context) error {
	return c.cluster.DeployEnforcer(ctx, c.built.Refs[EnforcerImageName], DefaultEnforcerTimeout)
}

// deployKNP builds kube-network-policies from the source tree's wrapper
// module, adapted when the kernel needs it (or as KNPAdapt says), loads it
// and deploys it.
func (c *Creation) deployKNP(ctx context.Context) error {
	if c.spec.SourceRoot == "" {
		return inputErrorf("kube-network-policies is built from the netpolcheck source tree's hack/kind/modules: run from a clone")
	}
	log, name := c.spec.Log, c.cluster.Name()
	hasQueue, err := c.cluster.KernelHasNFTQueue(ctx)
	if err != nil {
		return err
	}
	mode := c.spec.KNPAdapt
	adapt := mode == KNPAdaptAlways || (mode == KNPAdaptAuto && !hasQueue)
	switch {
	case adapt && !hasQueue:
		fmt.Fprintf(log, "kind cluster %s: this kernel has no nftables queue expression (CONFIG_NFT_QUEUE): kube-network-policies gets netpolcheck's adaptation, the xtables NFQUEUE target through nft_compat (docs/kind.md)\n", name)
	case adapt:
		fmt.Fprintf(log, "kind cluster %s: kube-network-policies gets the xtables queue adaptation (--knp-adaptation always); this kernel would run it unadapted\n", name)
	case !hasQueue:
		fmt.Fprintf(log, "kind cluster %s: this kernel has no nftables queue expression and --knp-adaptation never: kube-network-policies will program nothing and enforce nothing\n", name)
	}
	dir, err := os.MkdirTemp("", "netpolcheck-knp-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	start := time.Now()
	fmt.Fprintf(log, "kind cluster %s: building kube-network-policies %s from its Go module (minutes the first time; cached after)\n", name, knp.Version)
	modulesDir := filepath.Join(c.spec.SourceRoot, "hack", "kind", "modules")
	img, err := knp.Build(ctx, log, modulesDir, dir, adapt)
	if err != nil {
		return err
	}
	fmt.Fprintf(log, "kind cluster %s: built %s (%s)\n", name, img.Ref, time.Since(start).Round(time.Millisecond))
	if err := c.cluster.LoadImages(ctx, img.Archive); err != nil {
		return err
	}
	manifest := c.spec.knpManifest()
	if manifest == knp.AdminManifestFile {
		// Before the enforcer, whose informers wait for the kinds to be served.
		crds, err := knp.AdminPolicyCRDs(ctx, log, modulesDir, c.spec.NPAChannel)
		if err != nil {
			return err
		}
		if err := c.cluster.InstallAdminPolicyCRDs(ctx, crds, c.spec.NPAChannel); err != nil {
			return err
		}
	}
	return c.cluster.DeployKubeNetworkPolicies(ctx, img, manifest, knpDeployTimeout, hasQueue || adapt)
}

// Abandon handles a cluster that cannot be used: its logs into logDir (when
// given) first, then its deletion unless retained.
func (c *Cluster) Abandon(logDir string, retain bool) error {
	ctx, log := context.Background(), c.opts.Log
	if logDir != "" {
		if err := c.CollectLogs(ctx, logDir); err != nil {
			fmt.Fprintf(log, "kind cluster %s: %v\n", c.name, err)
		} else {
			fmt.Fprintf(log, "kind cluster %s: logs in %s\n", c.name, logDir)
		}
	}
	if retain {
		fmt.Fprintf(log, "kind cluster %s: kept for debugging (--retain); netpolcheck kind down --name %s deletes it\n", c.name, c.name)
		return nil
	}
	return c.Down(ctx)
}

// RunningEnforcer tells which enforcer the cluster runs: one of ours by its
// DaemonSet, or none (which a bring-your-own cluster also reads as,
// whatever its owner installed since).
func (c *Cluster) RunningEnforcer(ctx context.Context) (string, error) {
	image, err := c.EnforcerImage(ctx)
	if err != nil || image != "" {
		return CNIReference, err
	}
	image, err = c.KubeNetworkPoliciesImage(ctx)
	if err != nil || image != "" {
		return CNIKNP, err
	}
	return CNINone, nil
}
