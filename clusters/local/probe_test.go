package local

import (
	"context"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/netpolcheck/netpolcheck/probes"
	"github.com/netpolcheck/netpolcheck/scenarios"
)

// TestIntegrationProbeHoldsNoThreadWhileWaiting probes a step whose
// cross-pod cells all time out, at the default concurrency, and counts the
// process's OS threads while they wait. Holding a locked thread in the
// source's namespace per probe would add one thread per blocked cell (144
// here); starting each source's probes in one hop and waiting outside adds
// none beyond the runtime's few.
func TestIntegrationProbeHoldsNoThreadWhileWaiting(t *testing.T) {
	needRoot(t)
	needDropTools(t)
	w := testWorld([]string{"x", "y", "z"}, 3, 0)
	c := setUp(t, newTestBackend(t, Options{}), w)
	dropForwarded(t, c.node.Path)
	const timeout = time.Second
	var jobs []probes.Job
	for _, src := range w.Pods {
		for _, dst := range w.Pods {
			for _, p := range []scenarios.Port{testPorts[0], testPorts[1]} {
				j := job(src.ID(), dst.ID(), dst.IP, p.Port, p.Protocol)
				j.Timeout = timeout
				jobs = append(jobs, j)
			}
		}
	}
	before := osThreads(t)
	done := make(chan []probes.Result)
	go func() {
		results, err := c.Probe(context.Background(), jobs)
		if err != nil {
			t.Errorf("Probe: %v", err)
		}
		done <- results
	}()
	time.Sleep(timeout / 2)
	during := osThreads(t)
	results := <-done
	if during > before+16 {
		t.Errorf("%d OS threads while %d probes waited, %d before: probes hold threads", during, len(jobs)-18, before)
	}
	if len(results) != len(jobs) {
		t.Fatalf("%d results for %d jobs", len(results), len(jobs))
	}
	var allowed, blocked int
	for i, r := range results {
		want, wantDetail := probes.Blocked, "connect: no answer within 1s"
		if r.Job.Protocol == probes.UDP {
			wantDetail = "reply: no answer within 1s"
		}
		if r.Job.From == r.Job.To {
			want, wantDetail = probes.Allowed, "answered "+r.Job.To
		}
		if r.Job != jobs[i] || r.Outcome != want || r.Detail != wantDetail {
			t.Errorf("result %d = %s, %q for %+v; want %s, %q", i, r.Outcome, r.Detail, r.Job, want, wantDetail)
		}
		switch r.Outcome {
		case probes.Allowed:
			allowed++
		case probes.Blocked:
			blocked++
		}
	}
	if allowed != 18 || blocked != 144 {
		t.Errorf("%d allowed and %d blocked, want 18 and 144", allowed, blocked)
	}
}

// osThreads reads how many OS threads this process has.
func osThreads(t testing.TB) int {
	t.Helper()
	status, err := os.ReadFile("/proc/self/status")
	if err != nil {
		t.Fatalf("read process status: %v", err)
	}
	for line := range strings.SplitSeq(string(status), "\n") {
		if v, ok := strings.CutPrefix(line, "Threads:"); ok {
			n, err := strconv.Atoi(strings.TrimSpace(v))
			if err != nil {
				t.Fatalf("thread count %q: %v", v, err)
			}
			return n
		}
	}
	t.Fatal("no thread count in /proc/self/status")
	return 0
}

// needDropTools skips tests that drop packets where nft or nsenter is missing.
func needDropTools(t testing.TB) {
	t.Helper()
	for _, tool := range []string{"nft", "nsenter"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("needs %s to drop forwarded packets (hack/install-deps.sh installs it)", tool)
		}
	}
}

// dropForwarded makes the node namespace at path drop every packet it would
// forward, as a deny-all policy on every pod would. The table goes with the
// namespace.
func dropForwarded(t testing.TB, path string) {
	t.Helper()
	cmd := exec.Command("nsenter", "--net="+path, "nft", "-f", "-")
	cmd.Stdin = strings.NewReader("table inet npcbench {\n\tchain forward {\n\t\ttype filter hook forward priority 0; policy drop;\n\t}\n}\n")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("nft in %s: %v: %s", path, err, out)
	}
}
