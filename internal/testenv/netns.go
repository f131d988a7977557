package testenv

import (
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
)

// NetNSPath is where a named network namespace is mounted.
func NetNSPath(name string) string { return filepath.Join("/run/netns", name) }

// NewNetNS creates the named network namespace without moving the caller's
// thread into it, and deletes it when the test ends.
func NewNetNS(tb testing.TB, name string) {
	tb.Helper()
	err := onLockedThread(func() error {
		created, err := netns.NewNamed(name)
		if err != nil {
			return err
		}
		return created.Close()
	})
	if err != nil {
		tb.Fatalf("create network namespace %s: %v", name, err)
	}
	tb.Cleanup(func() {
		if err := netns.DeleteNamed(name); err != nil && !errors.Is(err, os.ErrNotExist) {
			tb.Errorf("delete network namespace %s: %v", name, err)
		}
	})
}

// InNetNS runs fn on a locked thread inside the namespace at path.
func InNetNS(path string, fn func() error) error {
	return onLockedThread(func() error {
		target, err := netns.GetFromPath(path)
		if err != nil {
			return err
		}
		defer target.Close()
		if err := netns.Set(target); err != nil {
			return err
		}
		return fn()
	})
}

// onLockedThread runs fn on a thread of its own and brings the thread back
// to the namespace it started in. Should that fail, the goroutine ends with
// the thread still locked, and Go retires the thread rather than reuse it
// in the wrong namespace.
func onLockedThread(fn func() error) error {
	done := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		origin, err := netns.Get()
		if err != nil {
			done <- err
			return
		}
		defer origin.Close()
		result := fn()
		if err := netns.Set(origin); err != nil {
			done <- errors.Join(result, err)
			return
		}
		runtime.UnlockOSThread()
		done <- result
	}()
	return <-done
}

// HandleIn is a netlink handle on the namespace at path; close it.
func HandleIn(path string) (*netlink.Handle, error) {
	ns, err := netns.GetFromPath(path)
	if err != nil {
		return nil, err
	}
	defer ns.Close()
	return netlink.NewHandleAt(ns)
}
