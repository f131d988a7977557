package nodeimage

import (
	"context"
	"fmt"
	"github.com/netpolcheck/netpolcheck/clusters/kind/internal/run"
	"io"
	"path/filepath"
	"runtime"
)

// goProgram is one binary built from a wrapper module under hack/kind/modules.
type goProgram struct {
	module  string // directory under the modules directory
	pkg     string
	binary  string
	ldflags string
}

// goPrograms lists every Go binary of the offline images. Each wrapper module
// pins one upstream release, so nothing here depends on the main module.
func goPrograms() []goProgram {
	k8sFlags := versionLDFlags(KubernetesVersion)
	var programs []goProgram
	for _, cmd := range []string{"kube-apiserver", "kube-controller-manager", "kube-scheduler", "kube-proxy", "kubelet", "kubeadm", "kubectl"} {
		programs = append(programs, goProgram{"k8s", "k8s.io/kubernetes/cmd/" + cmd, cmd, k8sFlags})
	}
	return append(programs,
		goProgram{"etcd", "go.etcd.io/etcd/server/v3", "etcd", "-s -w"},
		goProgram{"etcd", "go.etcd.io/etcd/etcdctl/v3", "etcdctl", "-s -w"},
		goProgram{"coredns", "github.com/coredns/coredns", "coredns", "-s -w"},
		goProgram{"crictl", "sigs.k8s.io/cri-tools/cmd/crictl", "crictl", "-s -w"},
		goProgram{"pause", ".", "pause", "-s -w"},
		goProgram{"kind", "sigs.k8s.io/kind", "kind", "-s -w"},
	)
}

// goBuildEnv builds static binaries strictly from the committed go.sum files.
var goBuildEnv = []string{"CGO_ENABLED=0", "GOFLAGS=-mod=readonly", "GONOSUMDB=k8s.io,sigs.k8s.io", "GOWORK=off"}

// binariesKey covers the wrapper modules, the Go toolchain and the flags.
func binariesKey(modulesDir string) (Key, error) {
	b := NewKeyBuilder().
		String("go", runtime.Version()).
		String("goarch", runtime.GOARCH)
	for _, p := range goPrograms() {
		b.String("program:"+p.binary, p.module+" "+p.pkg+" "+p.ldflags)
	}
	if err := b.Tree("modules", modulesDir); err != nil {
		return "", err
	}
	return b.Sum(), nil
}

// buildBinaries builds every program into dir/bin. One command per binary
// costs little: the Go build cache compiles the packages programs share once.
func buildBinaries(ctx context.Context, log io.Writer, modulesDir, dir string) error {
	bin := filepath.Join(dir, "bin")
	for _, p := range goPrograms() {
		c := run.Command{
			Dir:  filepath.Join(modulesDir, p.module),
			Env:  goBuildEnv,
			Name: "go",
			Args: []string{"build", "-trimpath", "-ldflags", p.ldflags, "-o", filepath.Join(bin, p.binary), p.pkg},
		}
		if _, err := c.Output(ctx, log); err != nil {
			return fmt.Errorf("build %s: %w", p.binary, err)
		}
	}
	return nil
}
