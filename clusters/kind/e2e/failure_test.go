package e2e

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	. "github.com/onsi/gomega"

	"github.com/netpolcheck/netpolcheck/clusters/kind"
	"github.com/netpolcheck/netpolcheck/clusters/kind/internal/run"
)

// failureCluster is the name of the clusters made to fail, apart from the
// environment's.
const failureCluster = clusterName + "-fail"

// TestIntegrationKindFailure makes Up fail once the node exists (no time at
// all to wait for pod CIDRs) and checks that the logs were exported, and
// that the node was deleted, or kept with Retain until Down. It makes
// 1-node clusters of its own beside the environment's.
func TestIntegrationKindFailure(t *testing.T) {
	begin(t)
	for _, retain := range []bool{false, true} {
		t.Run(fmt.Sprintf("retain=%v", retain), func(t *testing.T) {
			g := NewWithT(t)
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
			defer cancel()
			logDir := t.TempDir()
			p := kind.NewProvider(kind.WithNodeImage(suite.nodeImage), kind.WithLogDir(logDir), kind.WithRetain(retain),
				kind.WithReadyTimeout(time.Nanosecond), kind.WithLog(testLog{t}))
			g.Expect(p.Down(ctx, failureCluster)).To(Succeed(), "a cluster left by an earlier run")
			t.Cleanup(func() {
				if err := p.Down(context.Background(), failureCluster); err != nil {
					t.Errorf("Down: %v", err)
				}
			})

			_, err := p.Up(ctx, failureCluster)
			g.Expect(err).To(MatchError(HavePrefix("kind cluster " + failureCluster + ": wait for pod CIDRs: nodes not given a pod CIDR after 1ns: ")))
			for _, f := range []string{"kind-version.txt", failureCluster + "-control-plane/kubelet.log", failureCluster + "-control-plane/journal.log"} {
				info, err := os.Stat(filepath.Join(logDir, f))
				g.Expect(err).NotTo(HaveOccurred(), "exported log %s", f)
				g.Expect(info.Size()).To(BeNumerically(">", 0), "exported log %s", f)
			}
			if retain {
				out, err := run.Docker(ctx, nil, "ps", "-q", "--filter", "label=io.x-k8s.kind.cluster="+failureCluster)
				g.Expect(err).NotTo(HaveOccurred())
				g.Expect(strings.Fields(out)).To(HaveLen(1), "retained nodes: want the control plane running")
				g.Expect(p.Down(ctx, failureCluster)).To(Succeed())
			}
			g.Expect(leftovers(ctx, failureCluster)).To(BeEmpty())
		})
	}
}

// testLog sends progress lines to the test's log.
type testLog struct{ t *testing.T }

func (w testLog) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}
