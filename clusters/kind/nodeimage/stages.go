package nodeimage

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"time"

	"github.com/netpolcheck/netpolcheck/clusters/kind/internal/run"
)

// inputs ensures the Go binaries and both Debian trees, concurrently.
func (b *builder) inputs(ctx context.Context) error {
	mirror := b.opts.Mirror
	needsMirror := !b.opts.Cache.Has(stageNodeRootfs, b.nodeRootfsKey) || !b.opts.Cache.Has(stageProxyRootfs, b.proxyRootfsKey)
	if needsMirror {
		if err := needRoot("debootstrap"); err != nil {
			return err
		}
	}
	if mirror == "" && needsMirror {
		var err error
		if mirror, err = DebianMirror(DefaultAptSources...); err != nil {
			return err
		}
	}
	tasks := []struct {
		stage string
		key   Key
		dir   *string
		build func(ctx context.Context, dir string) error
	}{
		{stageBinaries, b.binariesKey, &b.binariesDir, func(ctx context.Context, dir string) error {
			return buildBinaries(ctx, b.opts.Log, b.opts.ModulesDir, dir)
		}},
		{stageNodeRootfs, b.nodeRootfsKey, &b.nodeRootfsDir, func(ctx context.Context, dir string) error {
			return debootstrap(ctx, b.opts.Log, mirror, debianSuite, nodePackages, dir)
		}},
		{stageProxyRootfs, b.proxyRootfsKey, &b.proxyRootfsDir, func(ctx context.Context, dir string) error {
			return debootstrap(ctx, b.opts.Log, mirror, debianSuite, kubeProxyPackages, dir)
		}},
	}
	errs := make([]error, len(tasks))
	var wg sync.WaitGroup
	for i, t := range tasks {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = b.step(t.stage, func() error {
				dir, built, err := b.opts.Cache.Ensure(ctx, t.stage, t.key, t.build)
				*t.dir = dir
				return b.built(t.stage, built, err)
			})
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// step times one stage and logs its end.
func (b *builder) step(stage string, run func() error) error {
	start := time.Now()
	err := run()
	elapsed := time.Since(start)
	b.mu.Lock()
	defer b.mu.Unlock()
	b.result.Stages[stage] = elapsed
	if err == nil {
		fmt.Fprintf(b.opts.Log, "stage %s done in %s\n", stage, elapsed.Round(time.Millisecond))
	}
	return err
}

// built records a stage that ran, when it did and succeeded.
func (b *builder) built(stage string, built bool, err error) error {
	if built && err == nil {
		b.mu.Lock()
		b.result.Built = append(b.result.Built, stage)
		b.mu.Unlock()
	}
	return err
}

// inWorkDir runs f in a scratch directory inside the cache (the rootfs copy
// needs the cache's disk, not /tmp's) and removes it afterwards.
func (b *builder) inWorkDir(f func(dir string) error) error {
	work, err := os.MkdirTemp(b.opts.Cache.Dir, ".work-")
	if err != nil {
		return fmt.Errorf("create work directory: %w", err)
	}
	defer os.RemoveAll(work)
	return f(work)
}

// kindBaseFiles is kind's images/base/files directory in the module cache,
// downloaded by the kind wrapper module if needed.
func kindBaseFiles(ctx context.Context, modulesDir string) (string, error) {
	c := run.Command{Dir: filepath.Join(modulesDir, "kind"), Env: goBuildEnv, Name: "go",
		Args: []string{"mod", "download", "-json", "sigs.k8s.io/kind@" + KindVersion}}
	out, err := c.Output(ctx, nil)
	if err != nil {
		return "", fmt.Errorf("find kind's base files: %w", err)
	}
	var mod struct{ Dir string }
	if err := json.Unmarshal([]byte(out), &mod); err != nil || mod.Dir == "" {
		return "", fmt.Errorf("find kind's base files: no module directory in %q", out)
	}
	return filepath.Join(mod.Dir, "images", "base", "files"), nil
}

// lockCache keeps two builds from pruning each other's stages.
func lockCache(dir string) (func(), error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("create cache: %w", err)
	}
	f, err := os.OpenFile(filepath.Join(dir, ".lock"), os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, fmt.Errorf("lock cache: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		f.Close()
		return nil, fmt.Errorf("lock cache: %w", err)
	}
	return func() { f.Close() }, nil
}

// needRoot explains up front what a stage needs instead of letting the tool
// fail halfway with a permission error.
func needRoot(what string) error {
	if os.Geteuid() != 0 {
		return fmt.Errorf("%s needs root: run the build as root", what)
	}
	return nil
}
