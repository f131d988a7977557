package app

import (
	"context"
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
		{[]string{"kind", "up", "--knp-manifest", "install-anp"}, "--knp-manifest applies to --cni kube-network-policies, not reference"},
		{[]string{"kind", "up", "--cni", "kube-network-policies", "--knp-manifest", "install-anp.yaml"}, `--knp-manifest "install-anp.yaml": not one of install, install-anp`},
		{[]string{"run", "--cluster", "local", "--knp-manifest", "install-anp"}, "--knp-manifest applies to --cluster kind, not local"},
		{[]string{"kind", "deploy", "--cni", "kube-network-policies", "--knp-manifest", "anp"}, `--knp-manifest "anp": not one of install, install-anp`},
		{[]string{"run", "--cluster", "kind", "--nodes", "0"}, "--nodes 0: must be at least 1"},
		{[]string{"run", "--cluster", "kind", "--sctp", "maybe"}, `--sctp "maybe": not one of off, on, auto`},
		{[]string{"run", "--cluster", "nowhere"}, `--cluster "nowhere": not one of local, kube, kind`},
		{[]string{"kind", "up", "--enforcer", "cilium"}, `--enforcer "cilium": not one of reference, none, kube-network-policies, bring-your-own`},
		{[]string{"kind", "up", "--nodes", "0"}, "--nodes 0: must be at least 1"},
		{[]string{"kind", "up", "--cgroup-driver", "cgroupv2"}, `--cgroup-driver "cgroupv2": not one of cgroupfs, systemd`},
		{[]string{"run", "--cluster", "local", "--cgroup-driver", "systemd"}, "--cgroup-driver applies to --cluster kind, not local"},
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

func TestImageTagMatchesTheDefaultProbeImage(t *testing.T) {
	imgs, err := kind.SelectImages([]string{kind.ProbeImageName}, imageTag())
	if err != nil {
		t.Fatal(err)
	}
	if got, want := imgs[0].Ref, kube.ProbeImage(version()); got != want {
		t.Errorf("kind loads %s, certify's default --probe-image is %s", got, want)
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
