package images

import (
	"archive/tar"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

// entry is one layer entry as the tests compare it.
type entry struct {
	name, kind, body string
	mode             int64
	uid              int
}

// readImage opens an archive written by Write and returns its config's key
// fields and its single layer's entries.
func readImage(t *testing.T, path, ref string) (string, []entry) {
	t.Helper()
	tag, err := name.NewTag(ref)
	if err != nil {
		t.Fatal(err)
	}
	img, err := tarball.ImageFromPath(path, &tag)
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	summary := fmt.Sprintf("os=%s entrypoint=%q cmd=%q user=%q env=%q", cfg.OS, cfg.Config.Entrypoint, cfg.Config.Cmd, cfg.Config.User, cfg.Config.Env)
	layers, err := img.Layers()
	if err != nil || len(layers) != 1 {
		t.Fatalf("layers = %d, %v; want 1", len(layers), err)
	}
	rc, err := layers[0].Uncompressed()
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	var entries []entry
	tr := tar.NewReader(rc)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(tr)
		e := entry{name: h.Name, mode: h.Mode, uid: h.Uid, body: string(body)}
		switch h.Typeflag {
		case tar.TypeDir:
			e.kind = "dir"
		case tar.TypeSymlink:
			e.kind, e.body = "link", h.Linkname
		default:
			e.kind = "file"
		}
		entries = append(entries, e)
	}
	return summary, entries
}

func TestWriteBinaryImage(t *testing.T) {
	dir := t.TempDir()
	bin := filepath.Join(dir, "probe")
	if err := os.WriteFile(bin, []byte("#!binary"), 0o600); err != nil {
		t.Fatal(err)
	}
	archive := filepath.Join(dir, "probe.tar")
	if err := Write(BinaryImage("netpolcheck.local/probe:dev", bin, "/probe", "65534", "serve"), archive); err != nil {
		t.Fatal(err)
	}
	summary, entries := readImage(t, archive, "netpolcheck.local/probe:dev")
	if want := `os=linux entrypoint=["/probe" "serve"] cmd=[] user="65534" env=[]`; summary != want {
		t.Errorf("config %s, want %s", summary, want)
	}
	want := []entry{
		{name: "etc/", kind: "dir", mode: 0o755},
		{name: "etc/group", kind: "file", mode: 0o644, body: "root:x:0:\nnogroup:x:65534:\n"},
		{name: "etc/passwd", kind: "file", mode: 0o644, body: "root:x:0:0:root:/root:/sbin/nologin\nnobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin\n"},
		{name: "probe", kind: "file", mode: 0o755, body: "#!binary"},
	}
	if fmt.Sprint(entries) != fmt.Sprint(want) {
		t.Errorf("layer\n%v\nwant\n%v", entries, want)
	}
}

func TestWriteTreeWithOverrides(t *testing.T) {
	dir := t.TempDir()
	tree := filepath.Join(dir, "rootfs")
	for _, d := range []string{"usr/sbin", "etc/alternatives"} {
		if err := os.MkdirAll(filepath.Join(tree, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(tree, "usr/sbin/iptables-legacy"), []byte("legacy"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("/usr/sbin/iptables-legacy", filepath.Join(tree, "etc/alternatives/iptables")); err != nil {
		t.Fatal(err)
	}
	proxy := filepath.Join(dir, "kube-proxy")
	if err := os.WriteFile(proxy, []byte("proxy"), 0o644); err != nil {
		t.Fatal(err)
	}
	spec := Spec{
		Refs:  []string{"registry.k8s.io/kube-proxy:v1.34.4", "registry.k8s.io/kube-proxy:latest"},
		Trees: []string{tree},
		Files: []File{{Source: proxy, Path: "/usr/local/bin/kube-proxy", Mode: 0o755}},
		Links: []Link{{Path: "/etc/alternatives/iptables", Target: "/usr/sbin/iptables-wrapper"}},
		Env:   []string{"PATH=/usr/local/bin:/usr/sbin"},
	}
	archive := filepath.Join(dir, "kube-proxy.tar")
	if err := Write(spec, archive); err != nil {
		t.Fatal(err)
	}
	summary, entries := readImage(t, archive, "registry.k8s.io/kube-proxy:latest")
	if want := `os=linux entrypoint=[] cmd=[] user="" env=["PATH=/usr/local/bin:/usr/sbin"]`; summary != want {
		t.Errorf("config %s, want %s", summary, want)
	}
	var got []string
	for _, e := range entries {
		got = append(got, e.kind+" "+e.name+" "+e.body)
	}
	sort.Strings(got)
	want := []string{
		"dir etc/ ",
		"dir etc/alternatives/ ",
		"dir usr/ ",
		"dir usr/local/ ",
		"dir usr/local/bin/ ",
		"dir usr/sbin/ ",
		"file usr/local/bin/kube-proxy proxy",
		"file usr/sbin/iptables-legacy legacy",
		"link etc/alternatives/iptables /usr/sbin/iptables-wrapper",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("layer\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestWriteErrors(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name string
		spec Spec
		want string
	}{
		{"no name", Spec{}, "write image: no name given"},
		{"bad name", Spec{Refs: []string{"Not A Name"}}, `write image: name "Not A Name": `},
		{"missing file", Spec{Refs: []string{"x.local/a:b"}, Files: []File{{Source: filepath.Join(dir, "nope"), Path: "/a", Mode: 0o755}}},
			"write image x.local/a:b: read " + filepath.Join(dir, "nope") + ": open " + filepath.Join(dir, "nope") + ": no such file or directory"},
		{"relative path", Spec{Refs: []string{"x.local/a:b"}, Links: []Link{{Path: "a", Target: "b"}}}, `write image x.local/a:b: image path "a" is not absolute`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := Write(tt.spec, filepath.Join(dir, "out.tar"))
			if err == nil || !strings.HasPrefix(err.Error(), tt.want) {
				t.Fatalf("err = %v, want it to start with %q", err, tt.want)
			}
		})
	}
}
