package app

import (
	"archive/tar"
	"context"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes/fake"

	"github.com/netpolcheck/netpolcheck/clusters/kind"
	"github.com/netpolcheck/netpolcheck/clusters/kube"
)

func TestKindFlagsBadInputExitsTwo(t *testing.T) {
	tests := []struct {
		args   []string
		stderr string
	}{
		{[]string{"run", "--cluster", "local", "--nodes", "2"}, "--nodes applies to --cluster kind, not local"},
		{[]string{"run", "--cluster", "kube", "--retain"}, "--retain applies to --cluster kind, not kube"},
		{[]string{"run", "--cluster", "local", "--images-from", "bin"}, "--images-from applies to --cluster kind, not local"},
		{[]string{"run", "--cluster", "kind", "--kubeconfig", "/k"}, "--kubeconfig applies to --cluster kube; --cluster kind decides it"},
		{[]string{"run", "--cluster", "kind", "--probe-image", "x/probe:1"}, "--probe-image applies to --cluster kube; --cluster kind decides it"},
		{[]string{"run", "--cluster", "kind", "--external-host", "a=1.2.3.4"}, "--external-host applies to --cluster kube; --cluster kind decides it"},
		{[]string{"run", "--cluster", "kind", "--enforcer-pods", "kube-system/app=x"}, "--enforcer-pods applies to --cluster kube; --cluster kind decides it"},
		{[]string{"run", "--cluster", "kind", "--enforcer", "maybe"}, `--enforcer "maybe": not one of reference, none, kube-network-policies, bring-your-own`},
		{[]string{"run", "--cluster", "kind", "--cni", "calico"}, `--cni "calico": not one of reference, none, kube-network-policies, bring-your-own`},
		{[]string{"run", "--cluster", "kind", "--cni", "none", "--enforcer", "reference"}, "--enforcer reference and --cni none disagree"},
		{[]string{"run", "--cluster", "local", "--cni", "none"}, "--cni applies to --cluster kind, not local"},
		{[]string{"kind", "up", "--knp-adaptation", "never"}, "--knp-adaptation applies to --cni kube-network-policies, not reference"},
		{[]string{"kind", "up", "--cni", "kube-network-policies", "--knp-adaptation", "sometimes"}, `--knp-adaptation "sometimes": not one of auto, always, never`},
		{[]string{"run", "--cluster", "kind", "--nodes", "0"}, "--nodes 0: must be at least 1"},
		{[]string{"run", "--cluster", "kind", "--sctp", "maybe"}, `--sctp "maybe": not one of off, on, auto`},
		{[]string{"run", "--cluster", "nowhere"}, `--cluster "nowhere": not one of local, kube, kind`},
		{[]string{"kind", "up", "--enforcer", "cilium"}, `--enforcer "cilium": not one of reference, none, kube-network-policies, bring-your-own`},
		{[]string{"kind", "up", "--nodes", "0"}, "--nodes 0: must be at least 1"},
		{[]string{"kind", "load", "--images", "probe,dns"}, `--images: "dns" is not one of probe, enforcer`},
		{[]string{"kind", "load", "--binary-image", "agnhost"}, `--binary-image "agnhost": not REF=BINARY`},
		{[]string{"kind", "load", "--binary-image", "Bad Ref=/bin/sh"}, `--binary-image "Bad Ref=/bin/sh": image reference`},
		{[]string{"kind", "load", "--binary-image", "reg/agnhost:2.56=/bin/sh"}, `--binary-image "reg/agnhost:2.56=/bin/sh": /bin/sh is dynamically linked`},
		{[]string{"kind", "load", "--binary-image", "reg/agnhost:2.56=/nonexistent/agnhost"}, `--binary-image "reg/agnhost:2.56=/nonexistent/agnhost": /nonexistent/agnhost: open /nonexistent/agnhost: no such file or directory`},
		{[]string{"kind", "down", "extra"}, `unknown command "extra" for "netpolcheck kind down"`},
	}
	for _, tt := range tests {
		_, stderr, code := run(t, tt.args...)
		if code != ExitBadInput || !strings.Contains(stderr, tt.stderr) {
			t.Errorf("%v: exit %d, stderr %q; want 2 and %q", tt.args, code, stderr, tt.stderr)
		}
	}
}

func TestProjectImages(t *testing.T) {
	tests := []struct {
		names []string
		want  []string
	}{
		{[]string{"probe", "enforcer"}, []string{"netpolcheck/probe:v1", "netpolcheck/enforcer:v1"}},
		{[]string{"enforcer", "probe"}, []string{"netpolcheck/probe:v1", "netpolcheck/enforcer:v1"}},
		{[]string{"probe"}, []string{"netpolcheck/probe:v1"}},
		{[]string{"enforcer"}, []string{"netpolcheck/enforcer:v1"}},
	}
	for _, tt := range tests {
		imgs, err := projectImages(tt.names, "v1")
		if err != nil {
			t.Fatalf("%v: %v", tt.names, err)
		}
		var got []string
		for _, img := range imgs {
			if img.Optional {
				t.Errorf("%v: %s is optional; the kind commands need every image they ask for", tt.names, img.Ref)
			}
			got = append(got, img.Ref)
		}
		if strings.Join(got, " ") != strings.Join(tt.want, " ") {
			t.Errorf("projectImages(%v) = %v; want %v", tt.names, got, tt.want)
		}
	}
}

func TestImageTagMatchesTheDefaultProbeImage(t *testing.T) {
	imgs, err := projectImages([]string{probeImageName}, imageTag())
	if err != nil {
		t.Fatal(err)
	}
	if got, want := imgs[0].Ref, kube.ProbeImage(version()); got != want {
		t.Errorf("kind loads %s, certify's default --probe-image is %s", got, want)
	}
}

func TestImagesFor(t *testing.T) {
	if got := strings.Join(imagesFor("reference"), ","); got != "probe,enforcer" {
		t.Errorf("imagesFor(reference) = %s", got)
	}
	for _, cni := range []string{"none", "kube-network-policies", "bring-your-own"} {
		if got := strings.Join(imagesFor(cni), ","); got != "probe" {
			t.Errorf("imagesFor(%s) = %s", cni, got)
		}
	}
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestFindModuleRoot(t *testing.T) {
	root := t.TempDir()
	writeFile(t, filepath.Join(root, "go.mod"), "// the project\nmodule github.com/netpolcheck/netpolcheck\n\ngo 1.26\n")
	writeFile(t, filepath.Join(root, "hack/kind/modules/k8s/go.mod"), "module netpolcheck.local/k8s\n")
	writeFile(t, filepath.Join(root, "quoted/go.mod"), "module \"github.com/netpolcheck/netpolcheck\"\n")
	other := t.TempDir()
	writeFile(t, filepath.Join(other, "go.mod"), "module example.com/other\n")
	tests := []struct {
		start string
		want  string
		ok    bool
	}{
		{root, root, true},
		{filepath.Join(root, "cmd/netpolcheck/app"), root, true},
		{filepath.Join(root, "hack/kind/modules/k8s"), root, true},
		{filepath.Join(root, "quoted/sub"), filepath.Join(root, "quoted"), true},
		{filepath.Join(other, "deep/er"), "", false},
	}
	for _, tt := range tests {
		got, ok := findModuleRoot(tt.start)
		if got != tt.want || ok != tt.ok {
			t.Errorf("findModuleRoot(%s) = %q, %v; want %q, %v", tt.start, got, ok, tt.want, tt.ok)
		}
	}
}

// staticBinary builds a small program with cgo off, as the images need.
func staticBinary(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "main.go"), "package main\n\nfunc main() {}\n")
	writeFile(t, filepath.Join(dir, "go.mod"), "module example.com/static\n\ngo 1.26\n")
	cmd := exec.Command("go", "build", "-o", "static", ".")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOFLAGS=")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return filepath.Join(dir, "static")
}

func TestCheckStatic(t *testing.T) {
	sh, err := exec.LookPath("sh")
	if err != nil {
		t.Fatal(err)
	}
	dynamic, err := filepath.EvalSymlinks(sh)
	if err != nil {
		t.Fatal(err)
	}
	text := filepath.Join(t.TempDir(), "probe")
	writeFile(t, text, "#!/bin/sh\n"+strings.Repeat("# a script is not a program an image can run\n", 3))
	static := staticBinary(t)
	tests := []struct {
		path string
		want string
	}{
		{static, ""},
		{dynamic, dynamic + " is dynamically linked: build it with CGO_ENABLED=0"},
		{text, text + ": bad magic number '[35 33 47 98]' in record at byte 0x0"},
		{"/nonexistent/probe", "/nonexistent/probe: open /nonexistent/probe: no such file or directory"},
	}
	for _, tt := range tests {
		got := ""
		if err := checkStatic(tt.path); err != nil {
			got = err.Error()
		}
		if got != tt.want {
			t.Errorf("checkStatic(%s) = %q; want %q", tt.path, got, tt.want)
		}
	}
}

func TestBuildImagesFromPrebuiltBinaries(t *testing.T) {
	static := staticBinary(t)
	from := t.TempDir()
	data, err := os.ReadFile(static)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(from, "probe"), data, 0o755); err != nil {
		t.Fatal(err)
	}
	imgs, err := projectImages([]string{"probe"}, "v1")
	if err != nil {
		t.Fatal(err)
	}
	built, err := buildImages(context.Background(), io.Discard, from, imgs)
	if err != nil {
		t.Fatal(err)
	}
	if len(built.archives) != 1 || filepath.Base(built.archives[0]) != "probe.tar" || built.refs["probe"] != "netpolcheck/probe:v1" {
		t.Errorf("built %v with refs %v", built.archives, built.refs)
	}
	if tags := archiveTags(t, built.archives[0]); strings.Join(tags, " ") != "netpolcheck/probe:v1" {
		t.Errorf("archive tags %v; want netpolcheck/probe:v1", tags)
	}
	if err := built.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(built.dir); !os.IsNotExist(err) {
		t.Errorf("%s still exists after Close: %v", built.dir, err)
	}

	all, err := projectImages([]string{"probe", "enforcer"}, "v1")
	if err != nil {
		t.Fatal(err)
	}
	_, err = buildImages(context.Background(), io.Discard, from, all)
	want := "build images: --images-from: " + filepath.Join(from, "enforcer") + ": open " + filepath.Join(from, "enforcer") + ": no such file or directory"
	if err == nil || err.Error() != want {
		t.Errorf("buildImages without an enforcer binary = %v; want %s", err, want)
	}
}

// archiveTags reads the image tags a docker-archive tarball carries.
func archiveTags(t *testing.T, archive string) []string {
	t.Helper()
	f, err := os.Open(archive)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	tr := tar.NewReader(f)
	for {
		h, err := tr.Next()
		if err != nil {
			t.Fatalf("%s: no manifest.json: %v", archive, err)
		}
		if h.Name != "manifest.json" {
			continue
		}
		var manifest []struct{ RepoTags []string }
		if err := json.NewDecoder(tr).Decode(&manifest); err != nil {
			t.Fatal(err)
		}
		var tags []string
		for _, m := range manifest {
			tags = append(tags, m.RepoTags...)
		}
		return tags
	}
}

func TestNetpolcheckKindClusterOnlyForItsOwn(t *testing.T) {
	ctx := context.Background()
	node := func(name string) *corev1.Node {
		return &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{"node-role.kubernetes.io/control-plane": ""}}}
	}
	for _, client := range []*fake.Clientset{
		fake.NewClientset(),                                          // no control plane node to name a cluster
		fake.NewClientset(node("master-1")),                          // not named as kind names nodes
		fake.NewClientset(node("npc-no-such-cluster-control-plane")), // no such kind cluster in docker
	} {
		if c := netpolcheckKindCluster(ctx, client, "netpolcheck/probe:test"); c != nil {
			t.Errorf("kind cluster %s found for a cluster netpolcheck did not make", c.Name())
		}
	}
}

func TestEnvLinesQuoteForAShell(t *testing.T) {
	got := envLines(kind.Env{Kubeconfig: "/tmp/it's/kubeconfig", Path: []string{"/tmp/shim", "/var/cache/bin"}})
	want := "export KUBECONFIG='/tmp/it'\\''s/kubeconfig'\nexport PATH='/tmp/shim:/var/cache/bin':\"$PATH\"\n"
	if got != want {
		t.Errorf("envLines =\n%s\nwant\n%s", got, want)
	}
	if got := envLines(kind.Env{Kubeconfig: "/k"}); got != "export KUBECONFIG='/k'\n" {
		t.Errorf("without PATH dirs: %q", got)
	}
}
