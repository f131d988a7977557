package local

import (
	"context"
	"errors"
	"fmt"
	"github.com/netpolcheck/netpolcheck/clusters"
	"maps"
	"os"
	"slices"
)

// Clean removes what runs of this package left on the host: every npc-*
// network namespace, BPF pin directory /sys/fs/bpf/netpolcheck/<run> and
// registration /run/netpolcheck/<run>.json of runs whose process is gone.
// Namespaces and pin directories of no registered run count as left over too,
// because a run registers before it creates anything. With all, live runs
// are removed as well. It returns the namespace names and the paths it
// removed, and goes on past errors.
func Clean(ctx context.Context, all bool) (removed []string, err error) {
	return clean(ctx, hostPaths, all)
}

func clean(ctx context.Context, p paths, all bool) ([]string, error) {
	// Namespaces and pins are listed before registrations are read: a run
	// that registers in between has created nothing we listed, while a run
	// whose namespaces we listed was registered before we read.
	netnsNames, err := listDir(p.NetnsDir)
	if err != nil {
		return nil, fmt.Errorf("clean: %w", err)
	}
	pinRuns, err := listDir(p.PinRoot)
	if err != nil {
		return nil, fmt.Errorf("clean: %w", err)
	}
	regs, err := readRegistrations(p.RegistryDir)
	if err != nil {
		return nil, fmt.Errorf("clean: %w", err)
	}
	keep := func(run string) bool {
		reg, ok := regs[run]
		return ok && !all && runAlive(reg)
	}

	var removed []string
	var errs []error
	for _, name := range netnsNames {
		run, ours := runOfNetns(name)
		if !ours || keep(run) {
			continue
		}
		if err := ctx.Err(); err != nil {
			return removed, fmt.Errorf("clean: %w", err)
		}
		if err := deleteNetns(p.netns(name)); err != nil {
			errs = append(errs, err)
			continue
		}
		removed = append(removed, name)
	}
	for _, run := range pinRuns {
		if clusters.ValidateRunID(run) != nil || keep(run) {
			continue
		}
		if err := os.RemoveAll(p.pinDir(run)); err != nil {
			errs = append(errs, fmt.Errorf("remove BPF pins of run %s: %w", run, err))
			continue
		}
		removed = append(removed, p.pinDir(run))
	}
	for _, run := range slices.Sorted(maps.Keys(regs)) {
		if keep(run) {
			continue
		}
		path := p.registration(run)
		_ = os.Remove(path + ".tmp") // a write cut short by the crash
		if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
			errs = append(errs, fmt.Errorf("remove registration of run %s: %w", run, err))
			continue
		}
		removed = append(removed, path)
	}
	if err := errors.Join(errs...); err != nil {
		return removed, fmt.Errorf("clean: %w", err)
	}
	return removed, nil
}

// listDir returns the names in dir, sorted; a missing dir is empty.
func listDir(dir string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("list %s: %w", dir, err)
	}
	names := make([]string, 0, len(entries))
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names, nil
}
