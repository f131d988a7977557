package kind

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// The embedded CRDs are the pinned module's own files, byte for byte.
func TestClusterPolicyCRDsAreTheModules(t *testing.T) {
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "sigs.k8s.io/network-policy-api").Output()
	if err != nil {
		t.Fatalf("locate the network-policy-api module: %v", err)
	}
	dir := strings.TrimSpace(string(out))
	for _, channel := range []string{ChannelStandard, ChannelExperimental} {
		name := channel + "/policy.networking.k8s.io_clusternetworkpolicies.yaml"
		want, err := os.ReadFile(filepath.Join(dir, "config/crd", name))
		if err != nil {
			t.Fatal(err)
		}
		got, err := crdFiles.ReadFile("crds/" + name)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("crds/%s differs from the module's config/crd/%s: copy it again", name, name)
		}
		crd, err := clusterPolicyCRD(channel)
		if err != nil {
			t.Fatal(err)
		}
		if crd.GetName() != "clusternetworkpolicies.policy.networking.k8s.io" || crd.GetKind() != "CustomResourceDefinition" {
			t.Errorf("%s: %s %s", channel, crd.GetKind(), crd.GetName())
		}
	}
	if _, err := clusterPolicyCRD("beta"); err == nil || !strings.Contains(err.Error(), `channel "beta"`) {
		t.Errorf("an unknown channel: %v", err)
	}
}
