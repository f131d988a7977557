package knp

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	rbacv1 "k8s.io/api/rbac/v1"
)

// wrapper is the pinned wrapper module in the source tree.
var wrapper = filepath.Join("..", "..", "..", "hack", "kind", "modules", WrapperModule)

// releaseDir is the pinned release's source, from the module cache (the
// module proxy fills it when it is empty).
func releaseDir(t *testing.T) string {
	t.Helper()
	dir, err := downloadModule(context.Background(), nil, wrapper)
	if err != nil {
		t.Fatalf("download %s: %v", Module, err)
	}
	return dir
}

func TestVersionIsTheWrappersPin(t *testing.T) {
	gomod, err := os.ReadFile(filepath.Join(wrapper, "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	if want := "require " + Module + " " + Version + "\n"; !bytes.Contains(gomod, []byte(want)) {
		t.Errorf("%s/go.mod does not say %q", wrapper, want)
	}
}

func TestAdaptReplacesEveryQueueVerdict(t *testing.T) {
	original, err := os.ReadFile(filepath.Join(releaseDir(t), controllerFile))
	if err != nil {
		t.Fatal(err)
	}
	adapted, err := Adapt(original)
	if err != nil {
		t.Fatal(err)
	}
	if n := bytes.Count(adapted, []byte("xtablesQueue(")); n != queueConstructions {
		t.Errorf("adapted source calls xtablesQueue %d times, want %d", n, queueConstructions)
	}
	if bytes.Contains(adapted, []byte("expr.Queue{")) || bytes.Contains(adapted, []byte("QueueFlagBypass")) {
		t.Error("adapted source still builds the nftables queue expression")
	}
	// Only the verdict's construction changes.
	if got, want := len(bytes.Split(adapted, []byte("\n"))), len(bytes.Split(original, []byte("\n")))-3*queueConstructions; got != want {
		t.Errorf("adapted source has %d lines, want %d", got, want)
	}
}

func TestAdaptRefusesAnotherSource(t *testing.T) {
	once := "package networkpolicy\n" + queueConstruction
	if _, err := Adapt([]byte(once)); err == nil || !strings.Contains(err.Error(), "builds the queue verdict 1 times, the adaptation expects 2") {
		t.Errorf("Adapt of a source with one construction: %v", err)
	}
	if _, err := Adapt(nil); err == nil {
		t.Error("Adapt of an empty source succeeded")
	}
}

func TestWriteAdaptedReplacesTheReleaseWithACopy(t *testing.T) {
	dir := t.TempDir()
	modfile, err := writeAdapted(wrapper, releaseDir(t), dir)
	if err != nil {
		t.Fatal(err)
	}
	gomod, err := os.ReadFile(modfile)
	if err != nil {
		t.Fatal(err)
	}
	if want := "replace " + Module + " => " + filepath.Join(dir, "src"); !bytes.Contains(gomod, []byte(want)) {
		t.Errorf("go.mod lacks %q:\n%s", want, gomod)
	}
	added, err := os.ReadFile(filepath.Join(dir, "src", addedFile))
	if err != nil || !bytes.Contains(added, []byte(`Name: "NFQUEUE", Rev: 3`)) {
		t.Errorf("added file: %v\n%s", err, added)
	}
	if _, err := os.Stat(filepath.Join(dir, "go.sum")); err != nil {
		t.Error(err)
	}
}

func TestObjectsAreTheReleasesWithOnlyTheImageChanged(t *testing.T) {
	dir := releaseDir(t)
	const image = "netpolcheck/kube-network-policies:test"
	for _, manifest := range []string{ManifestFile, AdminManifestFile} {
		objs, err := Objects(dir, manifest, image)
		if err != nil {
			t.Fatal(err)
		}
		var kinds []string
		var ds *appsv1.DaemonSet
		var role *rbacv1.ClusterRole
		for _, o := range objs {
			kinds = append(kinds, reflect.TypeOf(o).Elem().Name())
			switch o := o.(type) {
			case *appsv1.DaemonSet:
				ds = o
			case *rbacv1.ClusterRole:
				role = o
			}
		}
		if got := strings.Join(kinds, ","); got != "ClusterRole,ClusterRoleBinding,ServiceAccount,DaemonSet" {
			t.Fatalf("%s: objects %s", manifest, got)
		}
		if ds.Name != Name || ds.Namespace != Namespace || ds.Spec.Template.Labels["app"] != strings.TrimPrefix(PodSelector, "app=") {
			t.Errorf("%s: DaemonSet %s/%s with pod labels %v: not what Name, Namespace and PodSelector say", manifest, ds.Namespace, ds.Name, ds.Spec.Template.Labels)
		}
		c := ds.Spec.Template.Spec.Containers[0]
		if c.Image != image || c.Args[0] != Program {
			t.Errorf("%s: container image %s, args %v; want %s and %s first", manifest, c.Image, c.Args, image, Program)
		}
		// The admin deployment turns the v1alpha1 kinds on and may watch
		// them; the plain one does neither.
		admin := manifest == AdminManifestFile
		if got := slices.Contains(c.Args, "--admin-network-policy=true") && slices.Contains(c.Args, "--baseline-admin-network-policy=true"); got != admin {
			t.Errorf("%s: args %v: admin flags %v, want %v", manifest, c.Args, got, admin)
		}
		watches := slices.ContainsFunc(role.Rules, func(r rbacv1.PolicyRule) bool {
			return slices.Contains(r.APIGroups, "policy.networking.k8s.io") && slices.Contains(r.Resources, "adminnetworkpolicies") && slices.Contains(r.Resources, "baselineadminnetworkpolicies")
		})
		if watches != admin {
			t.Errorf("%s: ClusterRole may watch the v1alpha1 kinds: %v, want %v", manifest, watches, admin)
		}
		// Decoded again with the release's own image, the objects are
		// equal but for it.
		data, err := os.ReadFile(filepath.Join(dir, manifest))
		if err != nil {
			t.Fatal(err)
		}
		again, err := decodeObjects(manifest, data, c.Image)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(objs, again) {
			t.Errorf("%s: decoding twice gave different objects", manifest)
		}
	}
}

func TestCheckManifestTakesTheReleasesFilesByName(t *testing.T) {
	for _, good := range []string{"install", "install-anp"} {
		if err := CheckManifest(good); err != nil {
			t.Errorf("CheckManifest(%q): %v", good, err)
		}
	}
	for _, bad := range []string{"", "install.yaml", "anp", "../install"} {
		if err := CheckManifest(bad); err == nil || !strings.Contains(err.Error(), "not one of install, install-anp") {
			t.Errorf("CheckManifest(%q) = %v", bad, err)
		}
	}
}

// The v1alpha1 CRDs are the pinned network-policy-api's own, and name the
// kinds the admin deployment watches.
func TestAdminPolicyCRDsComeFromThePinnedModule(t *testing.T) {
	for _, channel := range []string{"standard", "experimental"} {
		set, err := AdminPolicyCRDs(context.Background(), nil, filepath.Dir(wrapper), channel)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(set.Version, "v0.1.") || len(set.Files) != 2 {
			t.Fatalf("%s: version %s, %d files", channel, set.Version, len(set.Files))
		}
		for i, f := range set.Files {
			if !strings.Contains(f.Path, PolicyAPIModule+"@"+set.Version) || !strings.HasSuffix(f.Path, channel+"/"+AdminPolicyCRDFiles[i]) {
				t.Errorf("%s: path %s", channel, f.Path)
			}
			if !bytes.Contains(f.Data, []byte("kind: CustomResourceDefinition")) || !bytes.Contains(f.Data, []byte("name: "+strings.TrimPrefix(strings.TrimSuffix(AdminPolicyCRDFiles[i], ".yaml"), "policy.networking.k8s.io_")+".policy.networking.k8s.io")) {
				t.Errorf("%s: %s is not that CRD", channel, f.Path)
			}
		}
	}
	if _, err := AdminPolicyCRDs(context.Background(), nil, filepath.Dir(wrapper), "beta"); err == nil || !strings.Contains(err.Error(), "config/crd/beta") {
		t.Errorf("channel beta: %v", err)
	}
}

func TestObjectsRefuseAManifestWithoutTheContainer(t *testing.T) {
	manifest := "apiVersion: apps/v1\nkind: DaemonSet\nmetadata:\n  name: other\n"
	if _, err := decodeObjects("x.yaml", []byte(manifest), "img"); err == nil || !strings.Contains(err.Error(), "x.yaml: 0 containers named kube-network-policies") {
		t.Errorf("err = %v", err)
	}
	if _, err := decodeObjects("x.yaml", []byte("---\nkind: [\n"), "img"); err == nil || !strings.Contains(err.Error(), "x.yaml: document 1") {
		t.Errorf("err = %v", err)
	}
}

func TestImageSpecRunsTheProgramAsItsCommand(t *testing.T) {
	spec := imageSpec(ImageRef(true), "/tmp/netpol")
	if len(spec.Entrypoint) != 0 || !reflect.DeepEqual(spec.Cmd, []string{Program}) {
		t.Errorf("entrypoint %v, cmd %v: install.yaml's args begin with %s, so it must be the command", spec.Entrypoint, spec.Cmd, Program)
	}
	if ImageRef(true) == ImageRef(false) {
		t.Error("the adapted and the plain image have one reference")
	}
}

func TestQueueMissing(t *testing.T) {
	const noQueue = "/dev/stdin:3:1-52: Error: Could not process rule: No such file or directory\nadd rule inet netpolcheck-queue-probe probe queue num 65000 bypass\n"
	if !QueueMissing(noQueue) {
		t.Error("nft's ENOENT for the queue rule not read as a missing expression")
	}
	if QueueMissing("Error: Could not process rule: Operation not permitted") {
		t.Error("EPERM read as a missing expression")
	}
	if !strings.Contains(ProbeScript, "delete table inet "+probeTable) || strings.Contains(ProbeScript, "hook") {
		t.Error("the probe must delete what it adds and hook no chain")
	}
}
