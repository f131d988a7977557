package nodeimage

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// key64 makes a key-shaped string from one repeated hex digit.
func key64(digit string) Key { return Key(strings.Repeat(digit, 64)) }

// listCache returns the entry names of the cache directory, sorted.
func listCache(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	sort.Strings(names)
	return names
}

func TestCacheEnsureBuildsOnce(t *testing.T) {
	c := Cache{Dir: t.TempDir()}
	builds := 0
	build := func(_ context.Context, dir string) error {
		builds++
		return os.WriteFile(filepath.Join(dir, "out"), []byte("built"), 0o644)
	}
	for i, wantBuilt := range []bool{true, false, false} {
		dir, built, err := c.Ensure(context.Background(), "binaries", key64("a"), build)
		if err != nil {
			t.Fatal(err)
		}
		if built != wantBuilt {
			t.Errorf("call %d: built = %v, want %v", i, built, wantBuilt)
		}
		if dir != filepath.Join(c.Dir, "binaries-"+string(key64("a"))) {
			t.Errorf("call %d: dir = %s", i, dir)
		}
		if data, err := os.ReadFile(filepath.Join(dir, "out")); err != nil || string(data) != "built" {
			t.Errorf("call %d: output = %q, %v", i, data, err)
		}
	}
	if builds != 1 {
		t.Errorf("built %d times, want 1", builds)
	}
}

func TestCacheFailedBuildLeavesNothing(t *testing.T) {
	c := Cache{Dir: t.TempDir()}
	_, built, err := c.Ensure(context.Background(), "rootfs-node", key64("b"), func(_ context.Context, dir string) error {
		if err := os.WriteFile(filepath.Join(dir, "half"), nil, 0o644); err != nil {
			return err
		}
		return errors.New("debootstrap failed")
	})
	if err == nil || err.Error() != "build rootfs-node: debootstrap failed" || built {
		t.Fatalf("Ensure = %v, %v; want the build's error", built, err)
	}
	if got := listCache(t, c.Dir); len(got) != 0 {
		t.Errorf("cache holds %v after a failed build, want nothing", got)
	}
	if c.Has("rootfs-node", key64("b")) {
		t.Errorf("Has reports a failed build as cached")
	}
}

func TestCachePrunesOnlyTheSameStage(t *testing.T) {
	c := Cache{Dir: t.TempDir()}
	for _, name := range []string{
		"rootfs-" + string(key64("1")),      // an older build of the stage: pruned
		"rootfs-node-" + string(key64("2")), // another stage whose name starts alike: kept
		"rootfs-notakey",                    // not ours: kept
		".building-rootfs-123",              // a crashed build of the stage: pruned
		".building-binaries-456",            // another stage's build, maybe running: kept
	} {
		if err := os.Mkdir(filepath.Join(c.Dir, name), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if _, _, err := c.Ensure(context.Background(), "rootfs", key64("3"), func(context.Context, string) error { return nil }); err != nil {
		t.Fatal(err)
	}
	want := []string{".building-binaries-456", "rootfs-" + string(key64("3")), "rootfs-node-" + string(key64("2")), "rootfs-notakey"}
	if got := listCache(t, c.Dir); strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("cache after pruning:\n%v\nwant\n%v", got, want)
	}
}
