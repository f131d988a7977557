package nodeimage

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
	"time"
)

// Options say where the build finds its inputs and puts its outputs.
type Options struct {
	// ModulesDir holds the wrapper modules (hack/kind/modules of the repository).
	ModulesDir string
	// Cache keeps every stage's output; zero means DefaultCacheDir.
	Cache Cache
	// Mirror is the Debian mirror for debootstrap; empty reads the machine's apt sources.
	Mirror string
	// Image is the node image's tag; empty means DefaultNodeImage.
	Image string
	// Log receives the commands run and progress lines.
	Log io.Writer
}

// Result tells what Build produced and what it had to rebuild.
type Result struct {
	Image string
	Key   Key
	// BinDir holds the Go binaries built on the way, kind and kubectl among them.
	BinDir string
	// Built lists the stages that ran, in order; empty when everything was cached.
	Built []string
	// Stages is how long each stage took, cached ones included.
	Stages map[string]time.Duration
}

// stage names, as they appear in the cache directory and in Result.Built.
const (
	stageBinaries     = "binaries"
	stageNodeRootfs   = "rootfs-node"
	stageProxyRootfs  = "rootfs-kube-proxy"
	stageControlPlane = "control-plane-images"
	stageBase         = "base-image"
	stageNode         = "node-image"
)

// Build makes the offline node image, running only the stages whose key is
// not cached: the Go binaries and the two Debian trees (concurrently, as one
// is CPU-bound and the others network-bound), then the control-plane image
// archives, the base image and the node image. A second run with unchanged
// inputs only hashes them.
func Build(ctx context.Context, opts Options) (Result, error) {
	if opts.Cache.Dir == "" {
		opts.Cache.Dir = DefaultCacheDir
	}
	if opts.Image == "" {
		opts.Image = DefaultNodeImage
	}
	if opts.Log == nil {
		opts.Log = io.Discard
	}
	unlock, err := lockCache(opts.Cache.Dir)
	if err != nil {
		return Result{}, err
	}
	defer unlock()
	b := &builder{opts: opts, result: Result{Image: opts.Image, Stages: map[string]time.Duration{}}}
	if err := b.run(ctx); err != nil {
		return b.result, fmt.Errorf("build node image: %w", err)
	}
	return b.result, nil
}

// builder carries one Build's state between its steps.
type builder struct {
	opts   Options
	mu     sync.Mutex
	result Result

	binariesKey, nodeRootfsKey, proxyRootfsKey, controlPlaneKey, baseKey Key
	binariesDir, nodeRootfsDir, proxyRootfsDir, controlPlaneDir          string
}

func (b *builder) run(ctx context.Context) error {
	var err error
	if b.binariesKey, err = binariesKey(b.opts.ModulesDir); err != nil {
		return err
	}
	b.nodeRootfsKey = rootfsKey(debianSuite, nodePackages)
	b.proxyRootfsKey = rootfsKey(debianSuite, kubeProxyPackages)
	if err := b.inputs(ctx); err != nil {
		return err
	}
	b.result.BinDir = filepath.Join(b.binariesDir, "bin")
	kindFiles, err := kindBaseFiles(ctx, b.opts.ModulesDir)
	if err != nil {
		return err
	}
	b.controlPlaneKey = NewKeyBuilder().
		Key("binaries", b.binariesKey).
		Key("rootfs", b.proxyRootfsKey).
		Bytes("iptables-wrapper", iptablesWrapper).
		String("recipe", nodeRecipeVersion).
		Sum()
	if b.baseKey, err = baseKey(b.nodeRootfsKey, b.binariesKey, kindFiles); err != nil {
		return err
	}
	b.result.Key = nodeKey(b.baseKey, b.binariesKey, b.controlPlaneKey, b.opts.Image)
	if dockerImageKey(ctx, b.opts.Image) == string(b.result.Key) {
		fmt.Fprintf(b.opts.Log, "node image %s is up to date (key %s)\n", b.opts.Image, b.result.Key.Short())
		return nil
	}
	if err := b.step(stageControlPlane, func() error {
		dir, built, err := b.opts.Cache.Ensure(ctx, stageControlPlane, b.controlPlaneKey, func(ctx context.Context, dir string) error {
			wrapper, err := writeExecutable(dir, "iptables-wrapper", iptablesWrapper)
			if err != nil {
				return err
			}
			defer os.Remove(wrapper)
			return writeControlPlaneImages(ctx, filepath.Join(b.binariesDir, "bin"), filepath.Join(b.proxyRootfsDir, "rootfs"), wrapper, dir)
		})
		b.controlPlaneDir = dir
		return b.built(stageControlPlane, built, err)
	}); err != nil {
		return err
	}
	if err := b.step(stageBase, func() error {
		if dockerImageKey(ctx, baseImage) == string(b.baseKey) {
			return nil
		}
		if err := needRoot("assembling the base image (chroot)"); err != nil {
			return err
		}
		return b.inWorkDir(func(work string) error {
			err := buildBase(ctx, b.opts.Log, work, filepath.Join(b.nodeRootfsDir, "rootfs"), kindFiles,
				filepath.Join(b.binariesDir, "bin", "crictl"), baseImage, b.baseKey)
			return b.built(stageBase, true, err)
		})
	}); err != nil {
		return err
	}
	return b.step(stageNode, func() error {
		err := buildNode(ctx, b.opts.Log, baseImage, filepath.Join(b.binariesDir, "bin"), b.controlPlaneDir, b.opts.Image, b.result.Key)
		return b.built(stageNode, true, err)
	})
}
