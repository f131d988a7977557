package conformance

import (
	"flag"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/netpolcheck/netpolcheck/clusters/kube"
	"github.com/netpolcheck/netpolcheck/probes"
)

func envKubeconfig() string { return os.Getenv("KUBECONFIG") }

// Flags are the suite's own flags, registered on the test binary's flag set
// beside Ginkgo's.
type Flags struct {
	Kubeconfig   string
	Context      string
	ProbeImage   string
	Enforcer     string
	Profile      string
	Converge     time.Duration
	ProbeTimeout time.Duration
	// Target is how probes dial destination pods: "pod", "service", or
	// both, comma-separated, as netpolcheck's --target.
	Target string
}

// targets reads Target.
func (f Flags) targets() ([]probes.Target, error) {
	targets, err := probes.ParseTargets(strings.Split(f.Target, ","))
	if err != nil {
		return nil, fmt.Errorf("--target %w", err)
	}
	return targets, nil
}

// Register adds the suite's flags to fs.
func (f *Flags) Register(fs *flag.FlagSet) {
	fs.StringVar(&f.Kubeconfig, "kubeconfig", "", "run against this cluster (KUBECONFIG when empty); the local cluster when neither is set")
	fs.StringVar(&f.Context, "context", "", "kubeconfig context")
	fs.StringVar(&f.ProbeImage, "probe-image", kube.ProbeImage("devel"), "image of the probe pods on a kube cluster")
	fs.StringVar(&f.Enforcer, "enforcer", "reference", "local cluster only: reference or none")
	fs.StringVar(&f.Profile, "profile", "", "also run the generated cases of this profile: quick or full")
	fs.DurationVar(&f.Converge, "converge", 0, "how long a step may take to match the truth table (default: the cluster's)")
	fs.DurationVar(&f.ProbeTimeout, "probe-timeout", 0, "timeout of one probe (default: the cluster's, 250ms locally, 1s on others)")
	fs.StringVar(&f.Target, "target", "pod,service", "how probes dial destination pods, each pod-to-pod cell once per target: pod, service, dns, or several (comma-separated)")
}
