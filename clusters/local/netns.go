package local

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sync"

	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"
)

// createNetns makes a new network namespace and pins it at path with a bind
// mount, as `ip netns add` does, so that it outlives this process and Clean
// can find it after a crash.
func createNetns(path string) error {
	if err := prepareNetnsDir(filepath.Dir(path)); err != nil {
		return err
	}
	f, err := os.OpenFile(path, os.O_RDONLY|os.O_CREATE|os.O_EXCL, 0o444)
	if err != nil {
		return fmt.Errorf("create netns mount point: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("create netns mount point: %w", err)
	}
	errc := make(chan error, 1)
	go func() {
		// The thread leaves the process's namespace for good, so it is never
		// unlocked: the runtime ends it together with this goroutine.
		runtime.LockOSThread()
		if err := unix.Unshare(unix.CLONE_NEWNET); err != nil {
			errc <- fmt.Errorf("unshare netns: %w", err)
			return
		}
		if err := unix.Mount("/proc/thread-self/ns/net", path, "none", unix.MS_BIND, ""); err != nil {
			errc <- fmt.Errorf("bind mount netns: %w", err)
			return
		}
		errc <- nil
	}()
	if err := <-errc; err != nil {
		_ = os.Remove(path)
		return err
	}
	return nil
}

// prepareNetnsDir makes dir what `ip netns add` makes it on first use: a
// directory that is a mount point of its own with shared propagation. A fresh
// machine (or a mount namespace with an empty /run) has no such directory.
// It must be a mount point before any namespace is pinned in it: when
// `ip netns add` (run by anything else on the machine) finds a plain
// directory, it bind-mounts the directory onto itself, which hides the pins
// already there, and they can then be neither unmounted nor removed. The
// mount stays, as ip's does; it is the machine's standard state.
func prepareNetnsDir(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("create netns directory: %w", err)
	}
	if dir != hostPaths.NetnsDir {
		// Tests' private directories: no ip netns shares them.
		return nil
	}
	netnsDirMu.Lock()
	defer netnsDirMu.Unlock()
	for bound := false; ; bound = true {
		err := unix.Mount("", dir, "none", unix.MS_SHARED|unix.MS_REC, "")
		if err == nil {
			return nil
		}
		if !errors.Is(err, unix.EINVAL) || bound {
			return fmt.Errorf("make %s a shared mount: %w", dir, err)
		}
		// EINVAL: not a mount point yet.
		if err := unix.Mount(dir, dir, "none", unix.MS_BIND|unix.MS_REC, ""); err != nil {
			return fmt.Errorf("bind-mount %s onto itself: %w", dir, err)
		}
	}
}

// netnsDirMu keeps clusters starting in parallel from mounting twice.
var netnsDirMu sync.Mutex

// deleteNetns unpins the namespace at path. The kernel frees it once no
// socket or handle refers to it any more. A path that is already gone is not
// an error, so that teardown and Clean can run twice.
func deleteNetns(path string) error {
	err := unix.Unmount(path, unix.MNT_DETACH)
	if err != nil && !errors.Is(err, unix.EINVAL) && !errors.Is(err, unix.ENOENT) {
		return fmt.Errorf("unmount netns %s: %w", path, err)
	}
	// EINVAL means the file was never mounted (a crash between creating the
	// mount point and mounting it); the file still has to go.
	if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("remove netns %s: %w", path, err)
	}
	return nil
}

// inNetns runs fn on an OS thread that has entered target, so that sockets fn
// creates belong to target. It uses a goroutine of its own: if the thread
// cannot return to its original namespace, the goroutine ends still locked
// and the runtime discards the thread instead of reusing it elsewhere.
func inNetns(target netns.NsHandle, fn func() error) error {
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		orig, err := netns.Get()
		if err != nil {
			runtime.UnlockOSThread()
			errc <- fmt.Errorf("read current netns: %w", err)
			return
		}
		defer orig.Close()
		if err := netns.Set(target); err != nil {
			// A failed setns leaves the thread where it was.
			runtime.UnlockOSThread()
			errc <- fmt.Errorf("enter netns: %w", err)
			return
		}
		fnErr := fn()
		if err := netns.Set(orig); err != nil {
			errc <- errors.Join(fnErr, fmt.Errorf("restore netns: %w", err))
			return
		}
		runtime.UnlockOSThread()
		errc <- fnErr
	}()
	return <-errc
}

// enableForwarding turns on IPv4 forwarding in the current thread's namespace;
// /proc/sys/net resolves to the namespace of the thread that opens it.
func enableForwarding() error {
	if err := os.WriteFile("/proc/sys/net/ipv4/ip_forward", []byte("1\n"), 0o644); err != nil {
		return fmt.Errorf("enable ip_forward: %w", err)
	}
	return nil
}
