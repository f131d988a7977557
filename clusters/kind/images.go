package kind

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/netpolcheck/netpolcheck/clusters/kind/images"
	"github.com/netpolcheck/netpolcheck/clusters/kind/internal/run"
	"sigs.k8s.io/kind/pkg/cluster/nodeutils"
)

// The repositories of the project's own images. They are only ever loaded,
// never pulled: pods must use imagePullPolicy Never or IfNotPresent. The
// probe's matches the kube backend's (kube.ImageRepository).
const (
	ProbeRepository    = "netpolcheck/probe"
	EnforcerRepository = "netpolcheck/enforcer"
)

// DefaultProbeImage is the probe image external hosts run unless
// WithProbeImage names another; it is what ProjectImages("devel") builds.
const DefaultProbeImage = ProbeRepository + ":devel"

// BinaryImage is one image made of one Go program of this module.
type BinaryImage struct {
	Ref string
	// Package is the main package, relative to the module root ("./cmd/probe").
	Package string
	// Path is where the binary sits in the image; it is the entrypoint.
	Path string
	// User runs it: "65534" for the probe (no privileges needed), "" (root) for the enforcer, which loads BPF programs.
	User string
	// Optional images are skipped when their package does not exist yet.
	Optional bool
}

// ProjectImages are the images a kind cluster needs from this repository,
// tagged tag: the probe (/probe, run as nobody: it needs no privilege) and
// the enforcer (/enforcer, run as root: it loads BPF programs), which is
// skipped while cmd/enforcer does not exist.
func ProjectImages(tag string) []BinaryImage {
	return []BinaryImage{
		{Ref: ProbeRepository + ":" + tag, Package: "./cmd/probe", Path: "/probe", User: "65534"},
		{Ref: EnforcerRepository + ":" + tag, Package: "./cmd/enforcer", Path: "/enforcer", Optional: true},
	}
}

// BuildImages builds each program statically from the module at root and
// writes its image archive into dir. It returns the archives' paths.
func BuildImages(ctx context.Context, log io.Writer, root, dir string, imgs ...BinaryImage) ([]string, error) {
	var archives []string
	for _, img := range imgs {
		if _, err := os.Stat(filepath.Join(root, img.Package)); err != nil && img.Optional {
			fmt.Fprintf(log, "image %s: %s does not exist, skipped\n", img.Ref, img.Package)
			continue
		}
		binary := filepath.Join(dir, filepath.Base(img.Path))
		build := run.Command{Dir: root, Env: []string{"CGO_ENABLED=0"}, Name: "go",
			Args: []string{"build", "-trimpath", "-ldflags", "-s -w", "-o", binary, img.Package}}
		if _, err := build.Output(ctx, log); err != nil {
			return nil, fmt.Errorf("image %s: %w", img.Ref, err)
		}
		archive := filepath.Join(dir, filepath.Base(img.Path)+".tar")
		err := images.Write(images.BinaryImage(img.Ref, binary, img.Path, img.User), archive)
		os.Remove(binary)
		if err != nil {
			return nil, err
		}
		archives = append(archives, archive)
	}
	return archives, nil
}

// LoadImages loads image archives into every node's containerd (what `kind
// load image-archive` does) and into the docker host, where the external
// host containers run from them.
func (c *Cluster) LoadImages(ctx context.Context, archives ...string) error {
	for _, archive := range archives {
		for _, n := range c.nodes {
			if err := ctx.Err(); err != nil {
				return err
			}
			if err := loadArchive(n, archive); err != nil {
				return fmt.Errorf("kind cluster %s: load %s into %s: %w", c.name, filepath.Base(archive), n.node, err)
			}
		}
		if _, err := run.Docker(ctx, c.opts.Log, "load", "--input", archive); err != nil {
			return fmt.Errorf("kind cluster %s: load %s into docker: %w", c.name, filepath.Base(archive), err)
		}
	}
	return nil
}

// loadArchive streams one archive into one node.
func loadArchive(n podNetworkNode, archive string) error {
	f, err := os.Open(archive)
	if err != nil {
		return err
	}
	defer f.Close()
	return nodeutils.LoadImageArchive(n.node, f)
}
