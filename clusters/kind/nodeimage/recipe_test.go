package nodeimage

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestVersionLDFlags(t *testing.T) {
	want := "-s -w" +
		" -X k8s.io/component-base/version.gitVersion=v1.34.4 -X k8s.io/component-base/version.gitMajor=1" +
		" -X k8s.io/component-base/version.gitMinor=34 -X k8s.io/component-base/version.gitCommit=0000000000000000000000000000000000000000" +
		" -X k8s.io/component-base/version.gitTreeState=clean -X k8s.io/component-base/version.buildDate=1970-01-01T00:00:00Z" +
		" -X k8s.io/client-go/pkg/version.gitVersion=v1.34.4 -X k8s.io/client-go/pkg/version.gitMajor=1" +
		" -X k8s.io/client-go/pkg/version.gitMinor=34 -X k8s.io/client-go/pkg/version.gitCommit=0000000000000000000000000000000000000000" +
		" -X k8s.io/client-go/pkg/version.gitTreeState=clean -X k8s.io/client-go/pkg/version.buildDate=1970-01-01T00:00:00Z"
	if got := versionLDFlags("v1.34.4"); got != want {
		t.Errorf("ldflags\n%s\nwant\n%s", got, want)
	}
	if got := versionLDFlags("v1.35.0"); !strings.Contains(got, "version.gitMinor=35 ") {
		t.Errorf("v1.35.0 flags lack gitMinor=35: %s", got)
	}
}

func TestMirrorFrom(t *testing.T) {
	tests := []struct {
		name, source, want string
	}{
		{"deb822", "Types: deb\n# a comment\nURIs: http://deb.debian.org/debian\nSuites: bookworm\n", "http://deb.debian.org/debian"},
		{"one-line", "# deb http://old/ x main\ndeb http://mirror.local/debian bookworm main\n", "http://mirror.local/debian"},
		{"one-line with options", "deb [arch=amd64 signed-by=/k.gpg] https://m.example/debian bookworm main\n", "https://m.example/debian"},
		{"deb-src only", "deb-src http://m/debian bookworm main\n", ""},
		{"empty", "", ""},
	}
	for _, tt := range tests {
		if got := mirrorFrom(strings.NewReader(tt.source)); got != tt.want {
			t.Errorf("%s: mirror = %q, want %q", tt.name, got, tt.want)
		}
	}
}

func TestDebianMirror(t *testing.T) {
	dir := t.TempDir()
	empty, list := filepath.Join(dir, "empty.sources"), filepath.Join(dir, "sources.list")
	if err := os.WriteFile(empty, []byte("Types: deb\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(list, []byte("deb http://m/debian bookworm main\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	got, err := DebianMirror(filepath.Join(dir, "missing"), empty, list)
	if err != nil || got != "http://m/debian" {
		t.Errorf("DebianMirror = %q, %v; want the first file that names one", got, err)
	}
	_, err = DebianMirror(empty)
	if want := "no Debian mirror in " + empty + ": set DEBIAN_MIRROR"; err == nil || err.Error() != want {
		t.Errorf("err = %v, want %q", err, want)
	}
}

func TestStageKeys(t *testing.T) {
	modules := t.TempDir()
	if err := os.MkdirAll(filepath.Join(modules, "pause"), 0o755); err != nil {
		t.Fatal(err)
	}
	main := filepath.Join(modules, "pause", "main.go")
	if err := os.WriteFile(main, []byte("package main\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	first, err := binariesKey(modules)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(main, []byte("package main // changed\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	second, err := binariesKey(modules)
	if err != nil {
		t.Fatal(err)
	}
	if first == second {
		t.Errorf("editing a wrapper module kept the binaries key")
	}
	if rootfsKey(debianSuite, nodePackages) == rootfsKey(debianSuite, kubeProxyPackages) {
		t.Errorf("the two Debian trees share a key")
	}
	if rootfsKey("bookworm", []string{"a", "b"}) == rootfsKey("bookworm", []string{"a,b"}) {
		t.Errorf("package lists that join alike share a key")
	}
	base := nodeKey(key64("1"), key64("2"), key64("3"), DefaultNodeImage)
	for name, k := range map[string]Key{
		"another base":   nodeKey(key64("9"), key64("2"), key64("3"), DefaultNodeImage),
		"other binaries": nodeKey(key64("1"), key64("9"), key64("3"), DefaultNodeImage),
		"other images":   nodeKey(key64("1"), key64("2"), key64("9"), DefaultNodeImage),
		"another tag":    nodeKey(key64("1"), key64("2"), key64("3"), "kindest/node:mine"),
	} {
		if k == base {
			t.Errorf("%s kept the node key", name)
		}
	}
}
