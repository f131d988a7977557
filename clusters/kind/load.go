package kind

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"sigs.k8s.io/kind/pkg/cluster/nodeutils"

	"github.com/netpolcheck/netpolcheck/clusters/kind/internal/run"
)

// LoadImages loads image archives into every node of the named kind
// cluster, whoever made it: a CNI project's own kind cluster needs no
// netpolcheck network, pod CIDRs or enforcer for its nodes to receive the
// probe image. The archives also go into the docker host, where external
// host containers run from them.
func (p *Provider) LoadImages(ctx context.Context, name string, archives ...string) error {
	if err := p.prepareDocker(); err != nil {
		return fmt.Errorf("kind cluster %s: %w", name, err)
	}
	nodes, err := p.kind.ListNodes(name)
	if err != nil {
		return fmt.Errorf("kind cluster %s: %w", name, err)
	}
	if len(nodes) == 0 {
		return fmt.Errorf("kind cluster %s: %w", name, errNotFound)
	}
	for _, archive := range archives {
		for _, n := range nodes {
			if err := ctx.Err(); err != nil {
				return err
			}
			f, err := os.Open(archive)
			if err != nil {
				return fmt.Errorf("kind cluster %s: %w", name, err)
			}
			err = nodeutils.LoadImageArchive(n, f)
			f.Close()
			if err != nil {
				return fmt.Errorf("kind cluster %s: load %s into %s: %w", name, filepath.Base(archive), n, err)
			}
		}
		if _, err := run.Docker(ctx, p.opts.Log, "load", "--input", archive); err != nil {
			return fmt.Errorf("kind cluster %s: load %s into docker: %w", name, filepath.Base(archive), err)
		}
	}
	return nil
}
