package main

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log"
	"net"
	"net/http"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cilium/ebpf/link"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes/fake"

	"github.com/netpolcheck/netpolcheck/internal/testenv"
)

// lockedBuffer collects the daemon's log from its goroutines.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func requireRoot(t *testing.T) {
	t.Helper()
	testenv.NeedRoot(t, "loads eBPF programs and makes network namespaces")
}

// testNode makes a node network namespace with one pod wired to it, as the
// ptp CNI plugin wires pods. It returns the node namespace's path and the
// host-side device's index.
func testNode(t *testing.T, podIP string) (string, int) {
	t.Helper()
	ip := netip.MustParseAddr(podIP)
	node := testenv.NewNode(t, "npcenf")
	pod := node.AddPod(t, "a", ip, netip.PrefixFrom(ip, 16).Masked())
	return node.Path(), pod.HostIndex
}

// hookLinks opens the instance's pinned hook links, checks with the kernel
// that each is a netfilter link at its hook, and returns their IDs.
func hookLinks(t *testing.T, pinRoot, instance string) []link.ID {
	t.Helper()
	var ids []link.ID
	for _, h := range []struct {
		pin  string
		hook link.NetfilterInetHook
	}{{"nf_prerouting", link.NetfilterInetPreRouting}, {"nf_postrouting", link.NetfilterInetPostRouting}} {
		l, err := link.LoadPinnedLink(filepath.Join(pinRoot, instance, "links", h.pin), nil)
		if err != nil {
			t.Fatalf("open pinned link %s: %v", h.pin, err)
		}
		info, err := l.Info()
		l.Close()
		if err != nil {
			t.Fatalf("link %s: %v", h.pin, err)
		}
		if nf := info.Netfilter(); nf == nil || nf.Hook != h.hook {
			t.Fatalf("link %s: %+v, want a netfilter link at hook %d", h.pin, info, h.hook)
		}
		ids = append(ids, info.ID)
	}
	return ids
}

func fetch(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("read %s: %v", url, err)
	}
	return resp.StatusCode, string(body)
}

// The daemon end to end, with a clientset in memory: it becomes ready once
// it has applied the cluster, SIGTERM (ctx) leaves the programs attached
// and pinned, and --uninstall removes them.
func TestIntegrationDaemon(t *testing.T) {
	requireRoot(t)
	pinRoot := filepath.Join(testenv.BPFFS(t), "netpolcheck")
	nodePath, _ := testNode(t, "192.168.85.1")

	client := fake.NewClientset(
		&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "x"}},
		&corev1.Pod{
			ObjectMeta: metav1.ObjectMeta{Namespace: "x", Name: "a", Labels: map[string]string{"app": "a"}},
			Spec:       corev1.PodSpec{NodeName: "n1", Containers: []corev1.Container{{Name: "c"}}},
			Status:     corev1.PodStatus{Phase: corev1.PodRunning, PodIP: "192.168.85.1"},
		},
		&networkingv1.NetworkPolicy{ObjectMeta: metav1.ObjectMeta{Namespace: "x", Name: "deny"}},
	)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	cfg := config{nodeName: "n1", pinRoot: pinRoot, hostNetNS: nodePath, listen: ln.Addr().String()}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var logs lockedBuffer
	done := make(chan error, 1)
	go func() { done <- serve(ctx, cfg, client, policies{}, ln, log.New(&logs, "", 0)) }()
	// Whatever happens, detach before the namespaces and the bpffs go.
	t.Cleanup(func() {
		cancel()
		<-done
		run(context.Background(), []string{"--uninstall", "--pin-root", pinRoot, "--host-netns", nodePath}, envOf(nil), io.Discard)
	})

	base := "http://" + ln.Addr().String()
	deadline := time.Now().Add(30 * time.Second)
	for {
		code, body := fetch(t, base+"/readyz")
		if code == http.StatusOK {
			if want := "ready: marker 0 in force at generation 1, 1 endpoints, controller idle\n"; body != want {
				t.Errorf("/readyz = %q, want %q", body, want)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("not ready after 30s: %d %q; log:\n%s", code, body, logs.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	if code, body := fetch(t, base+"/healthz"); code != http.StatusOK || body != "ok\n" {
		t.Errorf("/healthz = %d %q", code, body)
	}
	_, metrics := fetch(t, base+"/metrics")
	for _, line := range []string{
		"netpolcheck_enforcer_applied_generation 1\n",
		`netpolcheck_enforcer_map_entries{map="endpoints"} 1` + "\n",
		"netpolcheck_enforcer_sync_errors_total 0\n",
	} {
		if !strings.Contains(metrics, line) {
			t.Errorf("/metrics lacks %q:\n%s", line, metrics)
		}
	}
	running := hookLinks(t, pinRoot, instance)

	// SIGTERM: the daemon stops, the programs stay attached and pinned.
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("serve after SIGTERM: %v; log:\n%s", err, logs.String())
	}
	done <- nil // for the cleanup
	if got := hookLinks(t, pinRoot, instance); !slices.Equal(got, running) {
		t.Errorf("hook links after SIGTERM: %v, want those of the running daemon, %v", got, running)
	}
	links, err := os.ReadDir(filepath.Join(pinRoot, instance, "links"))
	if err != nil {
		t.Fatalf("read pinned links: %v", err)
	}
	var names []string
	for _, l := range links {
		names = append(names, l.Name())
	}
	want := []string{"nf_postrouting", "nf_prerouting"}
	if !slices.Equal(names, want) {
		t.Errorf("pinned links after SIGTERM: %v, want %v", names, want)
	}
	if !strings.Contains(logs.String(), "released the datapath; generation 1 stays in force\n") {
		t.Errorf("log lacks the release:\n%s", logs.String())
	}

	var stderr bytes.Buffer
	args := []string{"--uninstall", "--pin-root", pinRoot, "--host-netns", nodePath}
	if code := exitStatus(run(context.Background(), args, envOf(nil), &stderr), &stderr); code != 0 {
		t.Fatalf("--uninstall exit status %d: %s", code, stderr.String())
	}
	if !strings.HasSuffix(stderr.String(), "enforcer: uninstalled: detached 1 devices and removed the pins\n") {
		t.Errorf("--uninstall said %q", stderr.String())
	}
	for _, id := range running {
		if l, err := link.NewFromID(id); err == nil {
			l.Close()
			t.Errorf("hook link %d still in the kernel after --uninstall", id)
		}
	}
	if _, err := os.Stat(filepath.Join(pinRoot, instance)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("instance pins after --uninstall: %v, want gone", err)
	}
}
