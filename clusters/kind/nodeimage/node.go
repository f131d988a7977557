package nodeimage

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
)

// nodeKey covers everything the node image holds.
func nodeKey(base, binaries, controlPlane Key, image string) Key {
	return NewKeyBuilder().
		Key("base", base).
		Key("binaries", binaries).
		Key("control-plane-images", controlPlane).
		String("image", image).
		String("recipe", nodeRecipeVersion).
		Sum()
}

// nodeRecipeVersion changes whenever buildNode changes in a way that alters its output.
const nodeRecipeVersion = "1"

// buildNode replicates `kind build node-image` without any pull: it starts a
// container of the base image, adds kubeadm, kubelet and kubectl, imports the
// control-plane images into the node's containerd, and commits the result.
// (`kind build node-image` itself cannot work offline: it pulls etcd, CoreDNS
// and pause, and Debian's ctr lacks the `info` command it calls.)
func buildNode(ctx context.Context, log io.Writer, base, bin, controlPlaneDir, image string, key Key) (err error) {
	name := "netpolcheck-nodebuild-" + strconv.Itoa(os.Getpid())
	if _, err := docker(ctx, log, "run", "-d", "--name", name, "--entrypoint=sleep", "--security-opt", "seccomp=unconfined", base, "infinity"); err != nil {
		return fmt.Errorf("start build container: %w", err)
	}
	defer func() {
		// A fresh context: the build's may be cancelled, and the container must go anyway.
		if _, rmErr := docker(context.Background(), log, "rm", "-f", "-v", name); rmErr != nil && err == nil {
			err = fmt.Errorf("remove build container: %w", rmErr)
		}
	}()
	for _, b := range []string{"kubeadm", "kubelet", "kubectl"} {
		if _, err := docker(ctx, log, "cp", filepath.Join(bin, b), name+":/usr/bin/"+b); err != nil {
			return fmt.Errorf("copy %s: %w", b, err)
		}
	}
	setup := "chown root:root /usr/bin/kubeadm /usr/bin/kubelet /usr/bin/kubectl && " +
		"printf '%s' " + KubernetesVersion + " > /kind/version && mkdir -p /kind/manifests && " +
		"(nohup containerd > /tmp/containerd.log 2>&1 &) && " +
		"for i in $(seq 1 30); do [ -S /run/containerd/containerd.sock ] && exit 0; sleep 1; done; cat /tmp/containerd.log; exit 1"
	if _, err := docker(ctx, log, "exec", name, "bash", "-c", setup); err != nil {
		return fmt.Errorf("prepare node: %w", err)
	}
	archives, err := filepath.Glob(filepath.Join(controlPlaneDir, "*.tar"))
	if err != nil {
		return fmt.Errorf("list control-plane images: %w", err)
	}
	sort.Strings(archives)
	for _, a := range archives {
		if err := importArchive(ctx, log, name, a); err != nil {
			return err
		}
	}
	// containerd must flush its metadata before the commit. Its parent is
	// `sleep`, which reaps nothing, so an exited containerd lingers as a zombie.
	stop := "pkill -x containerd; for i in $(seq 1 50); do ps -C containerd -o stat= | grep -qv '^Z' || exit 0; sleep 0.2; done; exit 1"
	if _, err := docker(ctx, log, "exec", name, "bash", "-c", stop); err != nil {
		return fmt.Errorf("stop containerd: %w", err)
	}
	if _, err := docker(ctx, log, "commit",
		"--change", `ENTRYPOINT [ "/usr/local/bin/entrypoint", "/sbin/init" ]`,
		"--change", `ENV HTTP_PROXY="" HTTPS_PROXY="" NO_PROXY=""`,
		"--change", "LABEL "+KeyLabel+"="+string(key),
		name, image); err != nil {
		return fmt.Errorf("commit node image: %w", err)
	}
	return nil
}

// importArchive loads one image archive into the build container's containerd,
// with the flags `kind build node-image` uses.
func importArchive(ctx context.Context, log io.Writer, container, archive string) error {
	f, err := os.Open(archive)
	if err != nil {
		return fmt.Errorf("import %s: %w", filepath.Base(archive), err)
	}
	defer f.Close()
	if err := dockerWithInput(ctx, log, f, "exec", "-i", container, "ctr", "--namespace=k8s.io", "images", "import", "--all-platforms", "--no-unpack", "--digests", "-"); err != nil {
		return fmt.Errorf("import %s: %w", filepath.Base(archive), err)
	}
	return nil
}
