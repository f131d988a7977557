package datapath

import (
	"fmt"
	"runtime"

	"github.com/vishvananda/netns"
)

// inNetNS runs fn with its OS thread in the network namespace at path, or in
// the caller's namespace when path is empty. fn runs on a goroutine of its
// own: should switching back fail, that goroutine ends with its thread still
// locked, and Go retires the thread instead of reusing it in the wrong
// namespace.
func inNetNS(path string, fn func() error) error {
	if path == "" {
		return fn()
	}
	done := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		origin, err := netns.Get()
		if err != nil {
			done <- fmt.Errorf("get current network namespace: %w", err)
			return
		}
		defer origin.Close()
		target, err := netns.GetFromPath(path)
		if err != nil {
			runtime.UnlockOSThread()
			done <- fmt.Errorf("open network namespace %s: %w", path, err)
			return
		}
		defer target.Close()
		if err := netns.Set(target); err != nil {
			runtime.UnlockOSThread()
			done <- fmt.Errorf("enter network namespace %s: %w", path, err)
			return
		}
		result := fn()
		if err := netns.Set(origin); err != nil {
			done <- fmt.Errorf("return from network namespace %s: %w", path, err)
			return
		}
		runtime.UnlockOSThread()
		done <- result
	}()
	return <-done
}
