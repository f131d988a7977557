package kind

import (
	"archive/tar"
	"context"
	"encoding/json"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/netpolcheck/netpolcheck/clusters/kind/knp"
)

func TestSelectImages(t *testing.T) {
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
		imgs, err := SelectImages(tt.names, "v1")
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
			t.Errorf("SelectImages(%v) = %v; want %v", tt.names, got, tt.want)
		}
	}
}

func TestSelectImagesRefusesUnknownNames(t *testing.T) {
	_, err := SelectImages([]string{"probe", "dns"}, "v1")
	var ie *InputError
	if !errors.As(err, &ie) || err.Error() != `--images: "dns" is not one of probe, enforcer` {
		t.Errorf("SelectImages(probe, dns) = %v; want an InputError naming dns", err)
	}
}

func TestImageNames(t *testing.T) {
	if got := strings.Join(imageNames(CNIReference), ","); got != "probe,enforcer" {
		t.Errorf("imageNames(reference) = %s", got)
	}
	for _, cni := range []string{CNINone, CNIKNP, CNIBringYourOwn} {
		if got := strings.Join(imageNames(cni), ","); got != "probe" {
			t.Errorf("imageNames(%s) = %s", cni, got)
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
		got, ok := FindSourceRoot(tt.start)
		if got != tt.want || ok != tt.ok {
			t.Errorf("FindSourceRoot(%s) = %q, %v; want %q, %v", tt.start, got, ok, tt.want, tt.ok)
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
		if err := CheckStatic(tt.path); err != nil {
			got = err.Error()
		}
		if got != tt.want {
			t.Errorf("CheckStatic(%s) = %q; want %q", tt.path, got, tt.want)
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
	imgs, err := SelectImages([]string{"probe"}, "v1")
	if err != nil {
		t.Fatal(err)
	}
	built, err := BuildProjectImages(context.Background(), io.Discard, "", from, imgs)
	if err != nil {
		t.Fatal(err)
	}
	if len(built.Archives) != 1 || filepath.Base(built.Archives[0]) != "probe.tar" || built.Refs["probe"] != "netpolcheck/probe:v1" {
		t.Errorf("built %v with refs %v", built.Archives, built.Refs)
	}
	if tags := archiveTags(t, built.Archives[0]); strings.Join(tags, " ") != "netpolcheck/probe:v1" {
		t.Errorf("archive tags %v; want netpolcheck/probe:v1", tags)
	}
	if err := built.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(built.Dir); !os.IsNotExist(err) {
		t.Errorf("%s still exists after Close: %v", built.Dir, err)
	}

	all, err := SelectImages([]string{"probe", "enforcer"}, "v1")
	if err != nil {
		t.Fatal(err)
	}
	_, err = BuildProjectImages(context.Background(), io.Discard, "", from, all)
	want := "build images: --images-from: " + filepath.Join(from, "enforcer") + ": open " + filepath.Join(from, "enforcer") + ": no such file or directory"
	if err == nil || err.Error() != want {
		t.Errorf("BuildProjectImages without an enforcer binary = %v; want %s", err, want)
	}

	// kind load --binary-image alone builds nothing, so it needs no source
	// tree: only a directory for the archives it writes itself.
	none, err := BuildProjectImages(context.Background(), io.Discard, "", "", nil)
	if err != nil {
		t.Fatalf("BuildProjectImages of no images outside a source tree: %v", err)
	}
	defer none.Close()
	if st, err := os.Stat(none.Dir); err != nil || !st.IsDir() || len(none.Archives) != 0 {
		t.Errorf("no images: dir %q (%v), archives %v", none.Dir, err, none.Archives)
	}
	if _, err := BuildProjectImages(context.Background(), io.Discard, "", "", imgs); err == nil {
		t.Error("BuildProjectImages of the probe with neither a source tree nor --images-from: no error")
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

func TestSpecCheckNamesTheFlag(t *testing.T) {
	good := Spec{Name: "x", Nodes: 3, CNI: CNIReference, KNPAdapt: KNPAdaptAuto, NPAChannel: ChannelStandard}
	if err := good.Check(); err != nil {
		t.Fatalf("good spec: %v", err)
	}
	tests := []struct {
		change func(*Spec)
		want   string
	}{
		{func(s *Spec) { s.CNI = "calico" }, `--cni "calico": not one of reference, none, kube-network-policies, bring-your-own`},
		{func(s *Spec) { s.KNPAdapt = "sometimes" }, `--knp-adaptation "sometimes": not one of auto, always, never`},
		{func(s *Spec) { s.Nodes = 0 }, "--nodes 0: must be at least 1"},
		{func(s *Spec) { s.NPAChannel = "beta" }, `--npa-channel "beta": not one of standard, experimental`},
	}
	for _, tt := range tests {
		s := good
		tt.change(&s)
		err := s.Check()
		var ie *InputError
		if !errors.As(err, &ie) || err.Error() != tt.want {
			t.Errorf("Check() = %v; want the InputError %q", err, tt.want)
		}
		if _, err := NewCreation(s); err == nil || err.Error() != tt.want {
			t.Errorf("NewCreation = %v; want %q", err, tt.want)
		}
	}
}

func TestCreationStepsFollowTheEnforcer(t *testing.T) {
	base := Spec{Name: "x", Nodes: 2, KNPAdapt: KNPAdaptAuto, NPAChannel: ChannelExperimental, ImageTag: "t"}
	tests := map[string][]string{
		CNIReference:    {"build the project images", "ensure the node image", "create the 2 nodes", "load the images into every node", "install the ClusterNetworkPolicy CRD (experimental)", "install the AdminNetworkPolicy and BaselineAdminNetworkPolicy CRDs (experimental)", "deploy the reference enforcer"},
		CNINone:         {"build the project images", "ensure the node image", "create the 2 nodes", "load the images into every node", "install the ClusterNetworkPolicy CRD (experimental)", "install the AdminNetworkPolicy and BaselineAdminNetworkPolicy CRDs (experimental)"},
		CNIKNP:          {"build the project images", "ensure the node image", "create the 2 nodes", "load the images into every node", "deploy kube-network-policies " + knp.Version + " (install.yaml)"},
		CNIBringYourOwn: {"build the project images", "ensure the node image", "create the 2 nodes", "load the images into every node"},
	}
	for cni, want := range tests {
		s := base
		s.CNI = cni
		cr, err := NewCreation(s)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, step := range cr.Steps() {
			got = append(got, step.Name)
		}
		if strings.Join(got, "; ") != strings.Join(want, "; ") {
			t.Errorf("%s: steps %q; want %q", cni, got, want)
		}
		if cr.ProbeImage() != ProbeRepository+":t" {
			t.Errorf("%s: probe image %s", cni, cr.ProbeImage())
		}
	}
}
