package local

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
)

// BenchmarkSetup9Pods sets up and tears down a 3×3 cluster: 10 namespaces,
// 9 veths with addresses and routes, 9 probe servers.
func BenchmarkSetup9Pods(b *testing.B) {
	needRoot(b)
	be := newTestBackend(b, Options{})
	w := testWorld([]string{"x", "y", "z"}, 3, 0)
	ctx := context.Background()
	for b.Loop() {
		c, err := be.NewCluster(ctx, "bench")
		if err != nil {
			b.Fatal(err)
		}
		if _, err := c.Setup(ctx, w); err != nil {
			b.Fatal(err)
		}
		if err := c.Teardown(ctx); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkBaseline9Netns is the floor BenchmarkSetup9Pods is measured
// against: a node namespace and 9 bare namespaces with a veth each to it,
// created and deleted, with nothing configured.
func BenchmarkBaseline9Netns(b *testing.B) {
	needRoot(b)
	dir := b.TempDir()
	for b.Loop() {
		if err := bareNamespaces(dir, 9); err != nil {
			b.Fatal(err)
		}
	}
}

// bareNamespaces creates a node and n namespaces with a veth each, then deletes them.
func bareNamespaces(dir string, n int) (err error) {
	node := filepath.Join(dir, "node")
	paths := []string{node}
	defer func() {
		for _, p := range paths {
			if derr := deleteNetns(p); derr != nil && err == nil {
				err = derr
			}
		}
	}()
	if err := createNetns(node); err != nil {
		return err
	}
	nodeNs, err := netns.GetFromPath(node)
	if err != nil {
		return err
	}
	defer nodeNs.Close()
	h, err := netlink.NewHandleAt(nodeNs)
	if err != nil {
		return err
	}
	defer h.Close()
	for i := range n {
		p := filepath.Join(dir, fmt.Sprint(i))
		paths = append(paths, p)
		if err := createNetns(p); err != nil {
			return err
		}
		ns, err := netns.GetFromPath(p)
		if err != nil {
			return err
		}
		err = h.LinkAdd(&netlink.Veth{LinkAttrs: netlink.LinkAttrs{Name: fmt.Sprintf("p%d", i)}, PeerName: "eth0", PeerNamespace: netlink.NsFd(int(ns))})
		ns.Close()
		if err != nil {
			return err
		}
	}
	return nil
}
