package kind

import (
	"io"
	"time"

	"github.com/netpolcheck/netpolcheck/clusters/kind/nodeimage"
)

// Defaults of a cluster.
const (
	// DefaultPodSubnet keeps pods out of 10.0.0.0/8, as the scenario library
	// needs (see docs/design.md), and matches scenarios.DefaultPodCIDR.
	DefaultPodSubnet = "192.168.0.0/16"
	// DefaultServiceSubnet is kind's own; it collides neither with the pods nor
	// with the node network.
	DefaultServiceSubnet = "10.96.0.0/16"
	// DefaultNetwork is the docker network the nodes join. It is ours, not
	// kind's shared "kind" network, so that its subnet can be chosen away from
	// the addresses scenarios give their external hosts (172.17.x, 172.18.x).
	DefaultNetwork = "netpolcheck-kind"
	// DefaultNetworkSubnet is the node network: shared address space (RFC 6598),
	// which neither docker's pools nor the scenarios use.
	DefaultNetworkSubnet = "100.64.0.0/24"
	// DefaultCgroupDriver is the kubelet's and containerd's cgroup driver on
	// the nodes: see CgroupDriverCgroupfs.
	DefaultCgroupDriver = CgroupDriverCgroupfs
	// DefaultReadyTimeout bounds the wait for every node to be Ready.
	DefaultReadyTimeout = 5 * time.Minute
)

// The nodes' cgroup drivers. Kind's own default is systemd: each container
// is then a systemd scope, made and removed by the node's systemd. A
// certification run makes and removes pods by the hundred on a machine the
// nodes share, and with cgroupfs the library on kube-network-policies took
// 109-116 s where it took 116-122 s with systemd (docs/benchmarks.md,
// session 15). The driver decides where a container's cgroup is made, which
// no network policy sees; kind itself uses cgroupfs for Kubernetes before
// 1.24.
const (
	CgroupDriverCgroupfs = "cgroupfs"
	CgroupDriverSystemd  = "systemd"
)

// Options configure a Provider. They are set through Option functions.
type Options struct {
	// Nodes is the node count: one control plane, the rest workers.
	Nodes int
	// NodeImage is any kindest/node image; by default the offline one.
	NodeImage     string
	PodSubnet     string
	ServiceSubnet string
	Network       string
	NetworkSubnet string
	// CgroupDriver is CgroupDriverCgroupfs or CgroupDriverSystemd.
	CgroupDriver string
	// Retain keeps the nodes of a cluster whose creation failed, for debugging.
	Retain bool
	// LogDir receives the cluster's logs when creation fails; empty means none.
	LogDir string
	// StateDir holds the kubeconfig and the docker shim; empty means a directory under the OS temp dir.
	StateDir     string
	ReadyTimeout time.Duration
	// ProbeImage is the image external hosts run; LoadImages must have loaded it.
	ProbeImage string
	// Log receives progress lines.
	Log io.Writer
	// BinariesCache is the node image cache, where Env finds the kind binary.
	BinariesCache string
}

// Option changes one setting of a Provider.
type Option func(*Options)

// WithNodes sets the node count (at least 1; the first is the control plane).
func WithNodes(n int) Option { return func(o *Options) { o.Nodes = n } }

// WithNodeImage uses the given kindest/node image instead of the offline one.
func WithNodeImage(image string) Option { return func(o *Options) { o.NodeImage = image } }

// WithCgroupDriver sets the nodes' cgroup driver (CgroupDriverCgroupfs or
// CgroupDriverSystemd).
func WithCgroupDriver(driver string) Option { return func(o *Options) { o.CgroupDriver = driver } }

// WithPodSubnet sets the cluster's pod subnet.
func WithPodSubnet(cidr string) Option { return func(o *Options) { o.PodSubnet = cidr } }

// WithNetwork puts the nodes on the named docker network, created with subnet when missing.
func WithNetwork(name, subnet string) Option {
	return func(o *Options) { o.Network, o.NetworkSubnet = name, subnet }
}

// WithRetain keeps the nodes when creation fails.
func WithRetain(retain bool) Option { return func(o *Options) { o.Retain = retain } }

// WithLogDir exports the cluster's logs into dir when creation fails.
func WithLogDir(dir string) Option { return func(o *Options) { o.LogDir = dir } }

// WithStateDir keeps the kubeconfig and the docker shim in dir.
func WithStateDir(dir string) Option { return func(o *Options) { o.StateDir = dir } }

// WithReadyTimeout bounds the wait for the nodes to be Ready.
func WithReadyTimeout(d time.Duration) Option { return func(o *Options) { o.ReadyTimeout = d } }

// WithProbeImage makes external hosts run the given probe image.
func WithProbeImage(ref string) Option { return func(o *Options) { o.ProbeImage = ref } }

// WithBinariesCache names the node image cache Env looks for the kind binary in.
func WithBinariesCache(dir string) Option { return func(o *Options) { o.BinariesCache = dir } }

// WithLog sends progress lines to w.
func WithLog(w io.Writer) Option { return func(o *Options) { o.Log = w } }

// newOptions applies the options over the defaults.
func newOptions(opts ...Option) Options {
	o := Options{
		Nodes:         1,
		NodeImage:     nodeimage.DefaultNodeImage,
		CgroupDriver:  DefaultCgroupDriver,
		PodSubnet:     DefaultPodSubnet,
		ServiceSubnet: DefaultServiceSubnet,
		Network:       DefaultNetwork,
		NetworkSubnet: DefaultNetworkSubnet,
		ReadyTimeout:  DefaultReadyTimeout,
		ProbeImage:    DefaultProbeImage,
		Log:           io.Discard,
		BinariesCache: nodeimage.DefaultCacheDir,
	}
	for _, opt := range opts {
		opt(&o)
	}
	return o
}
