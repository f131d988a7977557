package app

import (
	"io"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/spf13/pflag"

	"github.com/netpolcheck/netpolcheck/clusters/kube"
	"github.com/netpolcheck/netpolcheck/probes"
	"github.com/netpolcheck/netpolcheck/scenarios/generate"
	"github.com/netpolcheck/netpolcheck/scenarios/library"
)

func TestKubeFlagsBadInputExitsTwo(t *testing.T) {
	tests := []struct {
		args   []string
		stderr string
	}{
		{[]string{"run", "--cluster", "local", "--sctp", "on"}, "--sctp applies to --cluster kube, not local"},
		{[]string{"run", "--cluster", "kube", "--enforcer", "none"}, "--enforcer applies to the local and kind clusters; a kube cluster enforces with its own CNI"},
		{[]string{"run", "--cluster", "kube", "--target", "node"}, `--target "node": not one of pod, service, dns`},
		{[]string{"run", "--cluster", "kube", "--target", "pod,pod"}, `--target "pod" given twice`},
		{[]string{"run", "--cluster", "kube", "--target", ""}, `--target: give at least one of pod, service`},
		{[]string{"run", "--cluster", "kube", "--sctp", "maybe"}, `--sctp "maybe": not one of off, on, auto`},
		{[]string{"certify", "--external-host", "outside"}, `--external-host: external host "outside" is not NAME=IP`},
		{[]string{"certify", "--ready-timeout", "0s"}, "--ready-timeout must be positive"},
		{[]string{"certify", "--external-host", "none", "--external-host", "lab=198.51.100.10"}, "--external-host none means no external hosts; it cannot go with others"},
		{[]string{"certify", "--enforcer-pods", "kube-system"}, `--enforcer-pods: "kube-system" is not NAMESPACE/SELECTOR`},
		{[]string{"certify", "--enforcer-pods", "kube-system/app in (x"}, `--enforcer-pods: selector "app in (x"`},
		{[]string{"certify", "--enforcer-pods", "Kube_System/app=x"}, `--enforcer-pods: namespace "Kube_System"`},
		{[]string{"run", "--cluster", "local", "--behaviour"}, "--behaviour applies to --cluster kube, not local"},
		{[]string{"certify", "--tags", "no-such-tag"}, "no scenario matches the selection"},
		{[]string{"certify", "--kubeconfig", "/nonexistent/kubeconfig"}, "load kubeconfig: stat /nonexistent/kubeconfig: no such file or directory"},
		{[]string{"certify", "--profile", "huge"}, `--profile "huge": not one of quick, full, cnp`},
		{[]string{"clean", "--kubeconfig", "/nonexistent/kubeconfig"}, "load kubeconfig: stat /nonexistent/kubeconfig: no such file or directory"},
	}
	for _, tt := range tests {
		_, stderr, code := run(t, tt.args...)
		if code != ExitBadInput || !strings.Contains(stderr, tt.stderr) {
			t.Errorf("%v: exit %d, stderr %q; want 2 and %q", tt.args, code, stderr, tt.stderr)
		}
	}
}

func TestKubeFlagsOptions(t *testing.T) {
	f := &kubeFlags{}
	fs := pflag.NewFlagSet("test", pflag.ContinueOnError)
	f.bind(fs, false)
	err := fs.Parse([]string{
		"--kubeconfig", "/k/config", "--context", "kind-npc", "--probe-image", "reg/probe:1",
		"--target", "service", "--sctp", "auto", "--ready-timeout", "30s",
		"--external-host", "lab=198.51.100.10", "--external-host", "other=203.0.113.5",
	})
	if err != nil {
		t.Fatal(err)
	}
	got, err := f.options(16)
	if err != nil {
		t.Fatal(err)
	}
	want := kube.Options{
		ProbeImage: "reg/probe:1", Targets: []probes.Target{probes.TargetService}, SCTP: kube.SCTPAuto,
		ReadyTimeout: 30 * time.Second, ProbeConcurrency: 16, Sessions: true,
		StaticHosts: []kube.StaticHost{{Name: "lab", IP: "198.51.100.10"}, {Name: "other", IP: "203.0.113.5"}},
		KubectlArgs: []string{"--kubeconfig", "/k/config", "--context", "kind-npc"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("options =\n%+v\nwant\n%+v", got, want)
	}
}

func TestKubeFlagsDefaults(t *testing.T) {
	f := &kubeFlags{}
	f.bind(pflag.NewFlagSet("test", pflag.ContinueOnError), false)
	got, err := f.options(32)
	if err != nil {
		t.Fatal(err)
	}
	if got.ProbeImage != kube.ProbeImage(version()) || !slices.Equal(got.Targets, []probes.Target{probes.TargetPod, probes.TargetService}) || got.SCTP != kube.SCTPOff ||
		got.ReadyTimeout != kube.DefaultReadyTimeout || got.KubectlArgs != nil {
		t.Errorf("default options %+v", got)
	}
}

func TestCertifyRunsTheLibraryPlusTheProfile(t *testing.T) {
	builtin, err := library.Builtin()
	if err != nil {
		t.Fatal(err)
	}
	quick, err := generate.AllCases(generate.Profile("quick"))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		profile string
		tags    []string
		want    int
	}{
		{"", nil, len(builtin)},
		{"quick", nil, len(builtin) + len(quick)},
	}
	for _, tt := range tests {
		f := &certifyFlags{}
		f.profile, f.Tags = tt.profile, tt.tags
		got, err := f.loadCertified(io.Discard)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != tt.want {
			t.Errorf("profile %q: %d scenarios, want %d", tt.profile, len(got), tt.want)
		}
		if got[0].Name != builtin[0].Name {
			t.Errorf("profile %q: first scenario %s, want the library's %s", tt.profile, got[0].Name, builtin[0].Name)
		}
	}
}

func TestKubeFlagsExternalHostNone(t *testing.T) {
	f := &kubeFlags{}
	fs := pflag.NewFlagSet("test", pflag.ContinueOnError)
	f.bind(fs, true)
	if err := fs.Parse([]string{"--external-host", "none"}); err != nil {
		t.Fatal(err)
	}
	opts, err := f.options(1)
	if err != nil || len(opts.StaticHosts) != 0 || !f.noExternalHosts() {
		t.Errorf("--external-host none: %v, %v, none=%v; want no hosts and none", opts.StaticHosts, err, f.noExternalHosts())
	}
}
