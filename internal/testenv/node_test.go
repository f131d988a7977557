package testenv

import (
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// TestNodeWiresPodsToEachOther holds the kit to its promise: two pods on a
// node reach each other through it, by pod IP, and everything it made is
// gone when the test ends.
func TestNodeWiresPodsToEachOther(t *testing.T) {
	NeedRoot(t, "creates network namespaces")
	var prefix string
	t.Run("wire", func(t *testing.T) {
		cidr := netip.MustParsePrefix("192.168.0.0/16")
		node := NewNode(t, "npckit")
		prefix = node.Prefix
		a := node.AddPod(t, "a", netip.MustParseAddr("192.168.0.1"), cidr)
		b := node.AddPod(t, "b", netip.MustParseAddr("192.168.1.1"), cidr)
		if a.HostIndex == 0 || b.HostIndex == 0 || a.HostName != "hv-a" {
			t.Fatalf("host sides: %+v %+v", a, b)
		}
		b.ServeTCP(t, 80)
		var got string
		err := InNetNS(NetNSPath(a.NetNS), func() error {
			c, err := net.DialTimeout("tcp", netip.AddrPortFrom(b.IP, 80).String(), 2*time.Second)
			if err != nil {
				return err
			}
			defer c.Close()
			buf := make([]byte, 2)
			c.SetReadDeadline(time.Now().Add(2 * time.Second))
			n, err := c.Read(buf)
			got = string(buf[:n])
			return err
		})
		if err != nil || got != "ok" {
			t.Fatalf("a -> b:80 = %q, %v; want ok", got, err)
		}
	})
	if left, _ := filepath.Glob(NetNSPath(prefix + "-*")); len(left) != 0 {
		t.Errorf("left behind: %v", left)
	}
	if _, err := os.Stat(NetNSPath(prefix + "-node")); !os.IsNotExist(err) {
		t.Errorf("node namespace still there: %v", err)
	}
}

func TestBPFFSIsPrivateAndUnmounted(t *testing.T) {
	NeedRoot(t, "mounts a bpffs")
	var dir string
	t.Run("mount", func(t *testing.T) {
		dir = BPFFS(t)
		if err := os.Mkdir(filepath.Join(dir, "pins"), 0o700); err != nil {
			t.Fatalf("bpffs at %s: %v", dir, err)
		}
	})
	if _, err := os.Stat(filepath.Join(dir, "pins")); !os.IsNotExist(err) {
		t.Errorf("bpffs still mounted at %s after the test: %v", dir, err)
	}
}
