package nodeimage

import "strings"

// The versions the offline node image is built from. kubeadm picks the image
// tags it expects from its own version, so the control-plane image tags below
// must match what kubeadm v1.34.4 asks for.
const (
	KubernetesVersion = "v1.34.4"
	KindVersion       = "v0.30.0"
	EtcdImage         = "registry.k8s.io/etcd:3.6.5-0"
	CoreDNSImage      = "registry.k8s.io/coredns/coredns:v1.12.1"
	// PauseImage is what kubeadm lists; kind's containerd config names PauseImageAlias.
	PauseImage      = "registry.k8s.io/pause:3.10.1"
	PauseImageAlias = "registry.k8s.io/pause:3.10"
)

// DefaultNodeImage is the tag the offline build produces and clusters use by default.
const DefaultNodeImage = "kindest/node:offline-" + KubernetesVersion

// baseImage is the kindest/base equivalent the node image is assembled from.
const baseImage = "kindest/base:offline-" + KindVersion

// KeyLabel is the image label holding the key the image was built from: a
// docker image whose label matches is already up to date.
const KeyLabel = "dev.netpolcheck.kind.key"

// debianSuite is the release the node userland comes from; kind's own base image uses it too.
const debianSuite = "bookworm"

// nodePackages is the userland of a kind node: what kindest/base installs from
// Debian, with containerd, runc and the CNI plugins from Debian as well.
var nodePackages = []string{
	"systemd", "conntrack", "iptables", "nftables", "iproute2", "ethtool", "util-linux", "mount",
	"kmod", "libseccomp2", "pigz", "fuse-overlayfs", "bash", "ca-certificates", "curl", "jq",
	"procps", "containerd", "runc", "containernetworking-plugins", "less", "socat",
}

// kubeProxyPackages is what kube-proxy runs: the iptables and nftables userland.
var kubeProxyPackages = []string{"iptables", "nftables", "conntrack", "ipset", "kmod"}

// versionLDFlags stamps the Kubernetes binaries with their release. Without it
// kubeadm reports v0.0.0 and asks for images that do not exist.
func versionLDFlags(version string) string {
	minor := strings.SplitN(strings.TrimPrefix(version, "v1."), ".", 2)[0]
	flags := []string{"-s", "-w"}
	for _, pkg := range []string{"k8s.io/component-base/version", "k8s.io/client-go/pkg/version"} {
		for _, kv := range [][2]string{
			{"gitVersion", version}, {"gitMajor", "1"}, {"gitMinor", minor},
			{"gitCommit", strings.Repeat("0", 40)}, {"gitTreeState", "clean"},
			{"buildDate", "1970-01-01T00:00:00Z"},
		} {
			flags = append(flags, "-X", pkg+"."+kv[0]+"="+kv[1])
		}
	}
	return strings.Join(flags, " ")
}
