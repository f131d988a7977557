package nodeimage

import (
	"context"
	"fmt"
	"path/filepath"

	"github.com/netpolcheck/netpolcheck/clusters/kind/images"
)

// staticPath is the PATH of the control-plane images: kubeadm's manifests run
// the commands by name.
const staticPath = "PATH=/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

// controlPlaneSpecs are the images kubeadm v1.34.4 expects in the node's
// containerd, keyed by the archive they are written to. bin holds the Go
// binaries, iptablesRootfs the userland kube-proxy needs.
func controlPlaneSpecs(bin, iptablesRootfs, iptablesWrapper string) map[string]images.Spec {
	static := func(ref string, binaries ...string) images.Spec {
		s := images.Spec{Refs: []string{ref}, Env: []string{staticPath}}
		for _, b := range binaries {
			s.Files = append(s.Files, images.File{Source: filepath.Join(bin, b), Path: "/usr/local/bin/" + b, Mode: 0o755})
		}
		return s
	}
	k8s := func(name string) string { return "registry.k8s.io/" + name + ":" + KubernetesVersion }
	proxy := static(k8s("kube-proxy"), "kube-proxy")
	proxy.Trees = []string{iptablesRootfs}
	proxy.Files = append(proxy.Files, images.File{Source: iptablesWrapper, Path: "/usr/sbin/iptables-wrapper", Mode: 0o755})
	for _, n := range []string{"iptables", "iptables-save", "iptables-restore", "ip6tables", "ip6tables-save", "ip6tables-restore"} {
		proxy.Links = append(proxy.Links, images.Link{Path: "/etc/alternatives/" + n, Target: "/usr/sbin/iptables-wrapper"})
	}
	coredns := images.Spec{Refs: []string{CoreDNSImage},
		Files:      []images.File{{Source: filepath.Join(bin, "coredns"), Path: "/coredns", Mode: 0o755}},
		Entrypoint: []string{"/coredns"}}
	pause := images.Spec{Refs: []string{PauseImage, PauseImageAlias},
		Files:      []images.File{{Source: filepath.Join(bin, "pause"), Path: "/pause", Mode: 0o755}},
		Entrypoint: []string{"/pause"}}
	return map[string]images.Spec{
		"kube-apiserver.tar":          static(k8s("kube-apiserver"), "kube-apiserver"),
		"kube-controller-manager.tar": static(k8s("kube-controller-manager"), "kube-controller-manager"),
		"kube-scheduler.tar":          static(k8s("kube-scheduler"), "kube-scheduler"),
		"kube-proxy.tar":              proxy,
		"etcd.tar":                    static(EtcdImage, "etcd", "etcdctl"),
		"coredns.tar":                 coredns,
		"pause.tar":                   pause,
	}
}

// writeControlPlaneImages writes every control-plane image archive into dir.
func writeControlPlaneImages(ctx context.Context, bin, iptablesRootfs, iptablesWrapper, dir string) error {
	for archive, spec := range controlPlaneSpecs(bin, iptablesRootfs, iptablesWrapper) {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := images.Write(spec, filepath.Join(dir, archive)); err != nil {
			return fmt.Errorf("control-plane images: %w", err)
		}
	}
	return nil
}
