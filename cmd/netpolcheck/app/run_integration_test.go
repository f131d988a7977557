package app

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/netpolcheck/netpolcheck/reports"

	"github.com/netpolcheck/netpolcheck/internal/testenv"
)

func runJSON(t *testing.T, args ...string) (*reports.Results, int) {
	t.Helper()
	stdout, stderr, code := run(t, append([]string{"run", "-o", "json"}, args...)...)
	var res reports.Results
	if err := json.Unmarshal([]byte(stdout), &res); err != nil {
		t.Fatalf("run %v: exit %d, no JSON (%v); stderr: %s", args, code, err, stderr)
	}
	return &res, code
}

// Without an enforcer the local cluster ignores NetworkPolicy, like Flannel:
// every expected-allowed cell is observed allowed, every expected-blocked cell
// (loopback aside) is a mismatch, and the run exits 1. With the reference
// enforcer the same scenarios pass with real packets.
func TestIntegrationRunWithAndWithoutEnforcer(t *testing.T) {
	testenv.NeedRoot(t, "runs netpolcheck on the local cluster, which creates network namespaces")
	focus := []string{"--focus", "^upstream-(default-deny-egress|named-port-ingress|ip-block-ingress-except)$"}

	res, code := runJSON(t, append([]string{"--enforcer", "none", "--converge", "500ms"}, focus...)...)
	if code != ExitFailed || len(res.Scenarios) != 3 {
		t.Fatalf("--enforcer none: exit %d with %d scenarios, want 1 with 3", code, len(res.Scenarios))
	}
	var failedCells, blockedCells int
	for _, s := range res.Scenarios {
		for _, st := range s.Steps {
			for _, c := range st.Cells {
				if c.Loopback || c.Verdict == "skipped" {
					continue
				}
				if c.Observed != "allowed" {
					t.Errorf("%s %s: %s -> %s %d/%s observed %s without an enforcer", s.Name, st.Name, c.From, c.To, c.Port, c.Protocol, c.Observed)
				}
				if c.Expected == "blocked" {
					blockedCells++
				}
				if (c.Verdict == "fail") != (c.Expected == "blocked") {
					t.Errorf("%s %s: %s -> %s expected %s has verdict %s", s.Name, st.Name, c.From, c.To, c.Expected, c.Verdict)
				}
				if c.Verdict == "fail" {
					failedCells++
					if c.Reproduce == "" {
						t.Errorf("wrong cell %s -> %s has no reproduce command", c.From, c.To)
					}
				}
			}
		}
	}
	if blockedCells == 0 || failedCells != blockedCells {
		t.Errorf("%d failed cells for %d expected-blocked cells", failedCells, blockedCells)
	}

	res, code = runJSON(t, focus...)
	if code != ExitOK || res.Enforcer != "reference" {
		t.Fatalf("reference enforcer: exit %d, enforcer %q, want 0 and reference", code, res.Enforcer)
	}
	for _, s := range res.Scenarios {
		for _, st := range s.Steps {
			for _, c := range st.Cells {
				if c.Expected == "blocked" && !c.Loopback && len(c.Drops) == 0 {
					t.Errorf("%s: blocked cell %s -> %s %d/%s shows no drop from the enforcer's log", s.Name, c.From, c.To, c.Port, c.Protocol)
				}
			}
		}
	}
}

// A run of generated cases reports them by dimension value in every report,
// in the generator's order, and `netpolcheck report` renders the same table.
func TestIntegrationRunReportsDimensions(t *testing.T) {
	testenv.NeedRoot(t, "runs netpolcheck on the local cluster, which creates network namespaces")
	dir := t.TempDir()
	args := []string{"run", "-q", "--profile", "quick", "--focus", "^gen-(ingress-all-ns-same|egress-podsel-pod-same)-", "--report-dir", dir}
	stdout, stderr, code := run(t, args...)
	if code != ExitOK {
		t.Fatalf("exit %d: %s\n%s", code, stderr, stdout)
	}
	table := stdout[strings.Index(stdout, "dimensions ("):]
	for _, want := range []string{
		"  direction  ingress ", "             egress ",
		"  protocol   tcp ", "             sctp ", " SKIP  1 case: 1 skipped; skipped: SCTP",
	} {
		if !strings.Contains(table, want) {
			t.Errorf("the terminal table lacks %q:\n%s", want, table)
		}
	}
	if !(strings.Index(table, "direction ") < strings.Index(table, "target ") && strings.Index(table, "target ") < strings.Index(table, "step ")) {
		t.Errorf("dimensions are not in the generator's order:\n%s", table)
	}
	junit, err := os.ReadFile(filepath.Join(dir, "junit.xml"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(junit), `<property name="dimension.direction=ingress" value="pass">`) {
		t.Error("junit.xml has no dimension properties")
	}
	again, stderr, code := run(t, "report", filepath.Join(dir, "results.json"), "--out", t.TempDir())
	if code != ExitOK || !strings.Contains(again, table) {
		t.Errorf("report (exit %d, %s) does not render the same dimension table:\n%s", code, stderr, again)
	}
}

// A local run first removes what runs that died left, as `netpolcheck clean`
// would: here a node namespace of a run that never registered.
func TestIntegrationRunRemovesWhatDeadRunsLeft(t *testing.T) {
	testenv.NeedRoot(t, "runs netpolcheck on the local cluster, which creates network namespaces")
	const left = "npc-zzdead1-0-node"
	if out, err := exec.Command("ip", "netns", "add", left).CombinedOutput(); err != nil {
		t.Fatalf("ip netns add: %v: %s", err, out)
	}
	t.Cleanup(func() { _ = exec.Command("ip", "netns", "delete", left).Run() })
	_, stderr, code := run(t, "run", "--focus", "^seed000-allow-dns$")
	if code != ExitOK {
		t.Fatalf("run: exit %d: %s", code, stderr)
	}
	if _, err := os.Stat(filepath.Join("/run/netns", left)); !os.IsNotExist(err) {
		t.Errorf("%s is still there after a run: %v", left, err)
	}
	if !strings.Contains(stderr, "objects that runs which died left behind") {
		t.Errorf("the run did not say what it removed: %s", stderr)
	}
}

// The results say what the probes dialled; through Services the same
// scenario passes, its pods reached at their ClusterIPs.
func TestIntegrationRunRecordsItsTarget(t *testing.T) {
	testenv.NeedRoot(t, "runs netpolcheck on the local cluster, which creates network namespaces")
	for _, tt := range []struct{ flag, recorded string }{{"pod", "pod"}, {"service", "service"}, {"service,pod", "service,pod"}} {
		res, code := runJSON(t, "--target", tt.flag, "--focus", "^upstream-named-port-egress$")
		if code != ExitOK || res.Target != tt.recorded || len(res.Scenarios) != 1 {
			t.Errorf("--target %s: exit %d, target %q, %d scenarios; want 0, %q, 1", tt.flag, code, res.Target, len(res.Scenarios), tt.recorded)
			continue
		}
		// Every pod-to-pod cell once per target; cells of external
		// hosts, if any, by IP alone.
		perTarget := map[string]int{}
		for _, st := range res.Scenarios[0].Steps {
			for _, c := range st.Cells {
				perTarget[res.CellTarget(c)]++
			}
		}
		if strings.Contains(tt.flag, ",") && (perTarget["service"] == 0 || perTarget["pod"] < perTarget["service"]) {
			t.Errorf("--target %s: cells per target %v, want both, at least as many by pod IP", tt.flag, perTarget)
		}
		if !strings.Contains(tt.flag, ",") && len(perTarget) != 1 {
			t.Errorf("--target %s: cells per target %v, want one target", tt.flag, perTarget)
		}
	}
	res, code := runJSON(t, "--focus", "^upstream-named-port-egress$")
	if code != ExitOK || res.Target != "pod,service" {
		t.Errorf("default: exit %d, target %q; want 0, pod,service", code, res.Target)
	}
	if _, stderr, code := run(t, "run", "--target", "dnss"); code != ExitBadInput || !strings.Contains(stderr, `--target "dnss": not one of pod, service, dns`) {
		t.Errorf("--target dnss: exit %d, %s; want 2 naming the flag", code, stderr)
	}
}

// The seed pitfall "egress deny breaks DNS", observed as the seed tells it:
// with the egress policy the backend's names stop resolving (blocked,
// unresolved, each drop in the enforcer's log), and the fix brings them
// back. Without an enforcer every name resolves, so the run fails on
// exactly the cells the oracle blocks.
func TestIntegrationRunByDNSName(t *testing.T) {
	testenv.NeedRoot(t, "runs netpolcheck on the local cluster, which creates network namespaces")
	focus := []string{"--target", "dns", "--focus", "^pitfall-egress-breaks-dns$"}
	res, code := runJSON(t, focus...)
	if code != ExitOK || len(res.Scenarios) != 1 || len(res.Scenarios[0].Steps) != 2 {
		t.Fatalf("exit %d, %+v; want 0 and the two steps", code, res.Scenarios)
	}
	unresolved := map[string]int{}
	for _, st := range res.Scenarios[0].Steps {
		for _, c := range st.Cells {
			if c.Target != reports.TargetDNS {
				t.Errorf("%s: cell %s -> %s via %q; want only dns", st.Name, c.From, c.To, c.Target)
			}
			if c.Blocked == reports.BlockedUnresolved {
				unresolved[st.Name]++
				if c.From != "default/backend" || len(c.Drops) == 0 {
					t.Errorf("%s: %s -> %s %d unresolved, drops %v; want only the backend's names, each with the query's drop", st.Name, c.From, c.To, c.Port, c.Drops)
				}
			}
		}
	}
	if steps := res.Scenarios[0].Steps; unresolved[steps[0].Name] == 0 || unresolved[steps[1].Name] != 0 {
		t.Errorf("unresolved cells per step %v; want some before the fix, none after", unresolved)
	}

	none, code := runJSON(t, append(focus, "--enforcer", "none")...)
	if code != ExitFailed {
		t.Fatalf("--enforcer none: exit %d; want 1", code)
	}
	for _, st := range none.Scenarios[0].Steps {
		for _, c := range st.Cells {
			wantFail := c.Expected == reports.OutcomeBlocked && c.Verdict != reports.Skipped && !c.Loopback
			if (c.Verdict == reports.Fail) != wantFail {
				t.Errorf("--enforcer none, %s: %s -> %s %d/%s expected %s, verdict %s", st.Name, c.From, c.To, c.Port, c.Protocol, c.Expected, c.Verdict)
			}
		}
	}
}
