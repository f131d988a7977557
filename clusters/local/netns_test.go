package local

import (
	"errors"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/vishvananda/netns"
)

func TestIntegrationNetnsHelpers(t *testing.T) {
	needRoot(t)
	p := tempPaths(t)
	path := p.netns("npc-test-0-node")
	mustDo(t, createNetns(path))
	if err := createNetns(path); err == nil {
		t.Error("creating an existing namespace succeeded")
	}
	target, err := netns.GetFromPath(path)
	if err != nil {
		t.Fatal(err)
	}
	defer target.Close()

	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	before, err := netns.Get()
	if err != nil {
		t.Fatal(err)
	}
	defer before.Close()
	if before.Equal(target) {
		t.Fatal("the new namespace is the test's own")
	}
	var inside bool
	wantErr := errors.New("from fn")
	err = inNetns(target, func() error {
		cur, err := netns.Get()
		if err != nil {
			return err
		}
		defer cur.Close()
		inside = cur.Equal(target)
		return wantErr
	})
	if !errors.Is(err, wantErr) || !inside {
		t.Errorf("inNetns = %v, ran inside %v; want fn's error, inside", err, inside)
	}
	after, err := netns.Get()
	if err != nil {
		t.Fatal(err)
	}
	defer after.Close()
	if !after.Equal(before) {
		t.Error("the caller's thread changed namespace")
	}

	mustDo(t, deleteNetns(path))
	mustDo(t, deleteNetns(path)) // gone already: not an error
	if left, _ := listDir(filepath.Dir(path)); len(left) != 0 {
		t.Errorf("netns dir holds %v", left)
	}
}
