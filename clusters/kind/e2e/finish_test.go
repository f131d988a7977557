package e2e

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"sigs.k8s.io/e2e-framework/pkg/envconf"

	"github.com/netpolcheck/netpolcheck/clusters/kind"
	"github.com/netpolcheck/netpolcheck/clusters/kind/internal/run"
)

// finishTimeout bounds each Finish func: deleting three nodes takes seconds.
const finishTimeout = 5 * time.Minute

// exportLogs keeps the cluster's logs when a test or a step failed: the
// cluster is deleted next.
func (s *kindSuite) exportLogs(ctx context.Context, _ *envconf.Config) (context.Context, error) {
	c := s.creation.Cluster()
	if c == nil || !s.somethingFailed() {
		return ctx, nil
	}
	work, cancel := context.WithTimeout(context.WithoutCancel(ctx), finishTimeout)
	defer cancel()
	if err := c.CollectLogs(work, s.logDir); err != nil {
		return ctx, err
	}
	fmt.Fprintf(s.log, "kind e2e: logs of %s in %s\n", clusterName, s.logDir)
	return ctx, nil
}

// deleteCluster deletes the cluster, also when Setup failed halfway.
func (s *kindSuite) deleteCluster(ctx context.Context, _ *envconf.Config) (context.Context, error) {
	work, cancel := context.WithTimeout(context.WithoutCancel(ctx), finishTimeout)
	defer cancel()
	errs := []error{s.creation.Close()}
	if c := s.creation.Cluster(); c != nil {
		errs = append(errs, c.Down(work))
	} else {
		errs = append(errs, s.provider().Down(work, clusterName))
	}
	return ctx, errors.Join(errs...)
}

// checkNothingLeft fails the run when Down left anything of the cluster.
func (s *kindSuite) checkNothingLeft(ctx context.Context, _ *envconf.Config) (context.Context, error) {
	work, cancel := context.WithTimeout(context.WithoutCancel(ctx), finishTimeout)
	defer cancel()
	left := leftovers(work, clusterName)
	network, err := networkLeft(work)
	if err != nil {
		return ctx, err
	}
	if network != "" {
		left = append(left, network)
	}
	if len(left) > 0 {
		return ctx, fmt.Errorf("left behind: %s", strings.Join(left, "; "))
	}
	return ctx, nil
}

// leftovers lists what remains of a deleted cluster: nodes, external host
// containers, the host's NAT exemptions and the state directory.
func leftovers(ctx context.Context, name string) []string {
	var left []string
	for _, label := range []string{"io.x-k8s.kind.cluster=" + name, externalHostLabel + "=" + name} {
		out, err := run.Docker(ctx, nil, "ps", "-aq", "--filter", "label="+label)
		if err != nil || out != "" {
			left = append(left, fmt.Sprintf("containers labelled %s: %q %v", label, out, err))
		}
	}
	if _, err := exec.LookPath("iptables"); err == nil {
		out, err := run.Command{Name: "iptables", Args: []string{"-w", "-t", "nat", "-S", "POSTROUTING"}}.Output(ctx, nil)
		if err != nil || strings.Contains(out, `"netpolcheck-kind `+name+`"`) {
			left = append(left, fmt.Sprintf("NAT exemptions of %s: %v", name, err))
		}
	}
	if _, err := os.Stat(filepath.Join(os.TempDir(), "netpolcheck-kind-"+name)); !errors.Is(err, os.ErrNotExist) {
		left = append(left, fmt.Sprintf("state directory of %s: %v", name, err))
	}
	return left
}

// externalHostLabel is the label package kind puts on external host
// containers; hack/e2e-kind.sh looks for it too.
const externalHostLabel = "dev.netpolcheck.kind.external"

// networkLeft describes the nodes' docker network when it outlived every
// kind cluster; while another kind cluster runs here it rightly stays.
func networkLeft(ctx context.Context) (string, error) {
	others, err := run.Docker(ctx, nil, "ps", "-aq", "--filter", "label=io.x-k8s.kind.cluster")
	if err != nil {
		return "", err
	}
	if others != "" {
		fmt.Fprintf(os.Stderr, "kind e2e: other kind clusters run here; docker network %s may stay for them\n", kind.DefaultNetwork)
		return "", nil
	}
	if _, err := run.Docker(ctx, nil, "network", "inspect", kind.DefaultNetwork); err == nil {
		return "docker network " + kind.DefaultNetwork, nil
	}
	return "", nil
}
