package probes

import (
	"bytes"
	"fmt"
	"os/exec"
	"runtime"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/netpolcheck/netpolcheck/internal/testenv"
)

// requireNetAdmin skips kernel tests where they cannot or should not run.
func requireNetAdmin(t *testing.T, tools ...string) {
	t.Helper()
	testenv.NeedRoot(t, "creates network namespaces")
	for _, tool := range tools {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("needs %s (hack/install-deps.sh installs it)", tool)
		}
	}
}

// inThreadNetns runs f on a locked OS thread after enter has moved that thread
// into a network namespace. The thread is never unlocked, so the runtime ends
// it with the goroutine and no other goroutine ever runs in the namespace.
func inThreadNetns(t *testing.T, enter func() error, f func()) {
	t.Helper()
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		if err := enter(); err != nil {
			errc <- err
			return
		}
		f()
		errc <- nil
	}()
	if err := <-errc; err != nil {
		t.Fatalf("enter network namespace: %v", err)
	}
}

// freshNetns enters a new, empty network namespace with lo up; it disappears
// when the thread ends.
func freshNetns() error {
	if err := unix.Unshare(unix.CLONE_NEWNET); err != nil {
		return fmt.Errorf("unshare: %w", err)
	}
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("socket: %w", err)
	}
	defer unix.Close(fd)
	ifr, err := unix.NewIfreq("lo")
	if err != nil {
		return err
	}
	if err := unix.IoctlIfreq(fd, unix.SIOCGIFFLAGS, ifr); err != nil {
		return fmt.Errorf("get lo flags: %w", err)
	}
	ifr.SetUint16(ifr.Uint16() | unix.IFF_UP)
	if err := unix.IoctlIfreq(fd, unix.SIOCSIFFLAGS, ifr); err != nil {
		return fmt.Errorf("set lo up: %w", err)
	}
	return nil
}

// namedNetns enters a namespace made by "ip netns add".
func namedNetns(name string) func() error {
	return func() error {
		fd, err := unix.Open("/run/netns/"+name, unix.O_RDONLY|unix.O_CLOEXEC, 0)
		if err != nil {
			return fmt.Errorf("open netns %s: %w", name, err)
		}
		defer unix.Close(fd)
		if err := unix.Setns(fd, unix.CLONE_NEWNET); err != nil {
			return fmt.Errorf("setns %s: %w", name, err)
		}
		return nil
	}
}

// addNetns creates a named network namespace, removed when the test ends.
func addNetns(t *testing.T, name string) {
	t.Helper()
	command(t, "", "ip", "netns", "add", name)
	t.Cleanup(func() {
		if out, err := exec.Command("ip", "netns", "del", name).CombinedOutput(); err != nil {
			t.Errorf("ip netns del %s: %v: %s", name, err, out)
		}
	})
}

// waitLinkUp waits for a link's carrier: the kernel brings a new veth's queue
// up asynchronously, and until then it drops whatever is sent.
func waitLinkUp(t *testing.T, netns, link string) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		out, err := exec.Command("ip", "-n", netns, "-o", "link", "show", "dev", link).CombinedOutput()
		if err != nil {
			t.Fatalf("ip -n %s link show %s: %v: %s", netns, link, err, out)
		}
		if strings.Contains(string(out), " state UP ") {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("link %s in %s not up after 5s: %s", link, netns, out)
		}
	}
}

// command runs a setup command and fails the test with its output.
func command(t *testing.T, stdin string, name string, args ...string) {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Stdin = strings.NewReader(stdin)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s %s: %v: %s", name, strings.Join(args, " "), err, out.String())
	}
}
