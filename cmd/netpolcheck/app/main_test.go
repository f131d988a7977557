package app

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/netpolcheck/netpolcheck/reports"
)

func run(t *testing.T, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	var out, errb bytes.Buffer
	code = Main(args, &out, &errb)
	return out.String(), errb.String(), code
}

// Every malformed scenario and manifest in the loader's testdata gives exit 2,
// the documented error on stderr, and no panic.
func TestMalformedInputExitsTwo(t *testing.T) {
	files, err := filepath.Glob("../../../scenarios/testdata/malformed/*.err")
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 30 {
		t.Fatalf("only %d malformed cases, want at least 30", len(files))
	}
	for _, errFile := range files {
		input := strings.TrimSuffix(errFile, ".err")
		matches, _ := filepath.Glob(input + ".*")
		var path string
		for _, m := range matches {
			if m != errFile {
				path = m
			}
		}
		if st, err := os.Stat(input); err == nil && st.IsDir() {
			path = input
		}
		if path == "" {
			t.Errorf("%s: no input beside it", errFile)
			continue
		}
		want, err := os.ReadFile(errFile)
		if err != nil {
			t.Fatal(err)
		}
		t.Run(filepath.Base(path), func(t *testing.T) {
			for _, cmd := range []string{"simulate", "list"} {
				_, stderr, code := run(t, cmd, "-f", path)
				if code != ExitBadInput {
					t.Errorf("%s: exit %d, want 2; stderr: %s", cmd, code, stderr)
				}
				if w := strings.TrimSpace(string(want)); !strings.Contains(stderr, w) {
					t.Errorf("%s: stderr %q does not contain %q", cmd, stderr, w)
				}
			}
		})
	}
}

func TestBadFlagsExitTwo(t *testing.T) {
	for _, args := range [][]string{
		{"simulate", "--no-such-flag"},
		{"simulate", "-o", "yaml"},
		{"simulate", "--cells", "some"},
		{"simulate", "--focus", "("},
		{"simulate", "--focus", "^no-such-scenario$"},
		{"simulate", "--tags", "egress+"},
		{"run", "--exclude-tags", "+x"},
		{"explain", "--from", "x/a", "--to", "x/b", "--port", "80/ICMP"},
		{"explain", "--from", "x/a", "--to", "x/b", "--port", "70000"},
		{"run", "--cluster", "nowhere"},
		{"run", "--parallel", "0"},
		{"report", "no-such-results.json"},
		{"nosuchcommand"},
	} {
		_, stderr, code := run(t, args...)
		if code != ExitBadInput {
			t.Errorf("%v: exit %d, want 2; stderr: %s", args, code, stderr)
		}
		if !strings.HasPrefix(stderr, "netpolcheck: ") {
			t.Errorf("%v: stderr %q has no error line", args, stderr)
		}
	}
}

// The JSON of simulate is exactly one document with the documented shape.
func TestSimulateJSONShape(t *testing.T) {
	stdout, stderr, code := run(t, "simulate", "-o", "json", "--focus", "^upstream-pod-selector$")
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	dec := json.NewDecoder(strings.NewReader(stdout))
	var doc struct {
		Scenarios []struct {
			Name  string
			Steps []struct {
				Name  string
				Cells []struct {
					From, To, Protocol, Expected string
					Verdict                      *string
					Port                         int
				}
			}
		}
	}
	if err := dec.Decode(&doc); err != nil {
		t.Fatal(err)
	}
	if dec.More() {
		t.Fatal("more than one JSON document on stdout")
	}
	if len(doc.Scenarios) != 1 || doc.Scenarios[0].Name != "upstream-pod-selector" || len(doc.Scenarios[0].Steps) == 0 {
		t.Fatalf("scenarios %+v", doc.Scenarios)
	}
	cells := doc.Scenarios[0].Steps[0].Cells
	if len(cells) == 0 {
		t.Fatal("no cells")
	}
	for _, c := range cells {
		// A simulation observes nothing: the oracle's outcome is expected, and no verdict is written.
		if c.Expected != "allowed" && c.Expected != "blocked" || c.Verdict != nil || c.Port == 0 || c.Protocol == "" || !strings.Contains(c.From, "/") {
			t.Fatalf("bad cell %+v", c)
		}
	}
}

func TestSimulateManifestsAndExplain(t *testing.T) {
	dir := t.TempDir()
	manifest := `apiVersion: v1
kind: Namespace
metadata: {name: shop}
---
apiVersion: v1
kind: Pod
metadata: {name: web, namespace: shop, labels: {app: web}}
spec: {containers: [{name: c, image: i, ports: [{containerPort: 80, name: http}]}]}
---
apiVersion: v1
kind: Pod
metadata: {name: client, namespace: shop, labels: {app: client}}
spec: {containers: [{name: c, image: i, ports: [{containerPort: 8080}]}]}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: allow-web, namespace: shop}
spec:
  podSelector: {matchLabels: {app: web}}
  ingress:
  - from: [{podSelector: {matchLabels: {app: nothing}}}]
`
	path := filepath.Join(dir, "shop.yaml")
	if err := os.WriteFile(path, []byte(manifest), 0o644); err != nil {
		t.Fatal(err)
	}
	stdout, stderr, code := run(t, "simulate", "-f", path, "-o", "json")
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, want := range []string{`"from":"shop/client"`, `"to":"shop/web"`, `"port":80,`, `"port":8080,`} { // one cell per line, compact
		if !strings.Contains(stdout, want) {
			t.Errorf("simulate output lacks %s", want)
		}
	}
	stdout, stderr, code = run(t, "explain", "-f", path, "--from", "shop/client", "--to", "shop/web", "--port", "80/TCP")
	if code != ExitOK {
		t.Fatalf("explain exit %d: %s", code, stderr)
	}
	for _, want := range []string{"BLOCKED", "isolated by shop/allow-web", "no rule allows it"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("explain output %q lacks %q", stdout, want)
		}
	}
	stdout, _, _ = run(t, "explain", "-f", path, "--from", "shop/web", "--to", "shop/client", "--port", "8080")
	if !strings.Contains(stdout, "ALLOWED") {
		t.Errorf("explain web -> client: %s", stdout)
	}
}

func TestSimulateWritesReports(t *testing.T) {
	dir := t.TempDir()
	_, stderr, code := run(t, "simulate", "-q", "--tags", "egress", "--report-dir", dir)
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, f := range []string{"results.json", "junit.xml", "report.html"} {
		if st, err := os.Stat(filepath.Join(dir, f)); err != nil || st.Size() == 0 {
			t.Errorf("%s: %v", f, err)
		}
	}
	out2 := t.TempDir()
	stdout, stderr, code := run(t, "report", filepath.Join(dir, "results.json"), "--out", out2)
	if code != ExitOK || stdout == "" {
		t.Fatalf("report exit %d: %s", code, stderr)
	}
	a, _ := os.ReadFile(filepath.Join(dir, "junit.xml"))
	b, _ := os.ReadFile(filepath.Join(out2, "junit.xml"))
	if !bytes.Equal(a, b) {
		t.Error("junit.xml rendered again from results.json differs from the original")
	}
}

func TestListShowsSourcesAndTags(t *testing.T) {
	stdout, _, code := run(t, "list", "--tags", "pitfall", "-o", "json")
	if code != ExitOK {
		t.Fatalf("exit %d", code)
	}
	var doc struct {
		Scenarios []struct{ Name, Source, Seed string }
	}
	if err := json.Unmarshal([]byte(stdout), &doc); err != nil {
		t.Fatal(err)
	}
	if len(doc.Scenarios) < 5 {
		t.Fatalf("%d pitfall scenarios, want at least 5", len(doc.Scenarios))
	}
	for _, s := range doc.Scenarios {
		if s.Source != "pitfall" || s.Seed == "" {
			t.Errorf("%s: source %q seed %q", s.Name, s.Source, s.Seed)
		}
	}
}

// Hostile inputs end at once with exit 2 and a message naming the path;
// none may hang (the test's own timeout would catch that) or run anything.
func TestHostileInputExitsTwo(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "pipe.yaml")
	if err := unix.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	reportFile := filepath.Join(dir, "reports")
	empty := filepath.Join(dir, "empty.yaml")
	dashes := filepath.Join(dir, "dashes.yaml")
	for _, f := range []struct{ path, text string }{{reportFile, "x"}, {empty, ""}, {dashes, "---\n---\n"}} {
		if err := os.WriteFile(f.path, []byte(f.text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"simulate", "-f", fifo}, fifo + ": is a named pipe (FIFO): only regular files and directories are read"},
		{[]string{"simulate", "-f", "/dev/zero"}, "/dev/zero: is a character device: only regular files and directories are read"},
		{[]string{"simulate", "-f", "/dev/urandom"}, "/dev/urandom: is a character device: only regular files and directories are read"},
		{[]string{"simulate", "-f", empty}, empty + ": holds no scenario or manifest: the file is empty or has only comments and document separators"},
		{[]string{"simulate", "-f", dashes}, dashes + ": holds no scenario or manifest: the file is empty or has only comments and document separators"},
		{[]string{"simulate", "--report-dir", reportFile}, "--report-dir " + reportFile + ": is a file, not a directory"},
		{[]string{"simulate", "--report-dir", filepath.Join(reportFile, "sub")}, "--report-dir " + filepath.Join(reportFile, "sub") + ": cannot make the directory: " + reportFile + ": not a directory"},
		{[]string{"simulate", "--pod-cidr", "fd00::/64", "-f", "../../../scenarios/testdata/valid/kind-export"}, `--pod-cidr: pod CIDR "fd00::/64" is IPv6: IPv6 and dual-stack pods are not supported yet`},
		{[]string{"run", "--report-dir", reportFile, "--cluster", "local"}, "--report-dir " + reportFile + ": is a file, not a directory"},
	} {
		_, stderr, code := run(t, tc.args...)
		if code != ExitBadInput || stderr != "netpolcheck: "+tc.want+"\n" {
			t.Errorf("%v: exit %d, stderr %q; want exit 2 and %q", tc.args, code, stderr, tc.want)
		}
	}
}

// A directory scan passes over what is not a regular file, and says so.
func TestDirectoryScanSkipsNonRegularFiles(t *testing.T) {
	dir := t.TempDir()
	data, err := os.ReadFile("../../../scenarios/testdata/valid/kind-export/export.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "export.yaml"), data, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := unix.Mkfifo(filepath.Join(dir, "pipe.yaml"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "empty.yaml"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	_, stderr, code := run(t, "simulate", "-q", "-f", dir)
	if code != ExitOK {
		t.Fatalf("exit %d, want 0; stderr: %s", code, stderr)
	}
	for _, want := range []string{
		filepath.Join(dir, "pipe.yaml") + ": skipped: is a named pipe (FIFO)",
		filepath.Join(dir, "empty.yaml") + ": skipped: holds no scenario or manifest",
		"skipped: hostNetwork pod default/kube-proxy-x2x9q",
	} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr does not say %q:\n%s", want, stderr)
		}
	}
}

// A namespace of 1,000 pods (no fixed /24 per namespace), half of them with
// kind's addresses and half planned, with one policy: simulate answers, and
// explain agrees on a planned pod past the first /24.
func TestSimulateThousandPodNamespace(t *testing.T) {
	var b strings.Builder
	b.WriteString("apiVersion: v1\nkind: List\nitems:\n- {apiVersion: v1, kind: Namespace, metadata: {name: big}}\n")
	for i := range 1000 {
		fmt.Fprintf(&b, "- apiVersion: v1\n  kind: Pod\n  metadata: {name: p%d, namespace: big, labels: {role: r%d}}\n  spec: {containers: [{name: c, image: i, ports: [{containerPort: 80}]}]}\n", i, i%2)
		if i%2 == 0 {
			fmt.Fprintf(&b, "  status: {podIP: 10.244.%d.%d}\n", i/200, 2+i%200)
		}
	}
	b.WriteString("- apiVersion: networking.k8s.io/v1\n  kind: NetworkPolicy\n  metadata: {name: r1-from-r0, namespace: big}\n  spec:\n    podSelector: {matchLabels: {role: r1}}\n    ingress: [{from: [{podSelector: {matchLabels: {role: r0}}}]}]\n")
	path := filepath.Join(t.TempDir(), "export.yaml")
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	stdout, stderr, code := run(t, "simulate", "-q", "-f", path, "-o", "json")
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var res struct {
		Scenarios []struct {
			Steps []struct {
				CellCount      int `json:"cellCount"`
				NamespaceReach []struct {
					From, To       string
					Allowed, Cells int
				} `json:"namespaceReach"`
			} `json:"steps"`
		} `json:"scenarios"`
	}
	if err := json.Unmarshal([]byte(stdout), &res); err != nil {
		t.Fatal(err)
	}
	st := res.Scenarios[0].Steps[0]
	// Every pod reaches the 500 r0 pods; only the 500 r0 pods reach the r1 pods.
	if st.CellCount != 1_000_000 || len(st.NamespaceReach) != 1 || st.NamespaceReach[0].Allowed != 750_000 {
		t.Errorf("cells %d, reach %+v; want 1,000,000 cells, 750,000 allowed within big", st.CellCount, st.NamespaceReach)
	}
	for _, tc := range []struct{ from, to, want string }{
		{"big/p998", "big/p999", "allowed"}, // r0 -> r1, both past the first /24 of their ranges
		{"big/p999", "big/p997", "blocked"}, // r1 -> r1
		{"big/p999", "big/p998", "allowed"}, // r0 is not isolated
	} {
		out, stderr, code := run(t, "explain", "-f", path, "--from", tc.from, "--to", tc.to, "--port", "80/TCP")
		if code != ExitOK || !strings.Contains(out, "on 80/TCP: "+strings.ToUpper(tc.want)) {
			t.Errorf("explain %s -> %s: exit %d, %s%s; want %s", tc.from, tc.to, code, out, stderr, tc.want)
		}
	}
}

// Plain manifests with ClusterNetworkPolicies and a NetworkPolicy, as a
// user exports them: simulate prints the tiers' verdicts as JSON cells,
// undefined ones apart, and explain shows the tier path.
func TestSimulateClusterNetworkPolicyManifests(t *testing.T) {
	dir := "../../../scenarios/testdata/tiers/cnp"
	stdout, stderr, code := run(t, "simulate", "-f", dir, "-o", "json", "--cells", "all")
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var res reports.Results
	if err := json.Unmarshal([]byte(stdout), &res); err != nil {
		t.Fatal(err)
	}
	verdicts := map[string]string{}
	for _, c := range res.Scenarios[0].Steps[0].Cells {
		verdicts[fmt.Sprintf("%s %s %d/%s", c.From, c.To, c.Port, c.Protocol)] = string(c.Expected)
	}
	// Worked out by hand from the policies in the directory.
	for cell, want := range map[string]string{
		"x/a y/b 80/TCP": "blocked", // Admin Deny: x is not tenant b, whose traffic alone is passed
		"x/a y/b 53/UDP": "allowed", // Admin Accept for app=a on 53/UDP beats y/allow-http
		"y/c y/b 80/TCP": "allowed", // Pass within tenant b, then y/allow-http admits port http
		"y/c y/b 53/UDP": "blocked", // Pass, then y/allow-http admits only http
		"y/b y/c 80/TCP": "blocked", // Pass, y/c not isolated, the Baseline denies tenant b
		"y/b x/a 80/TCP": "blocked", // Admin egress Deny to 10.244.1.0/24 on 70-90
		"y/b y/b 53/UDP": "blocked", // loopback: NetworkPolicy alone, which admits http only
	} {
		if verdicts[cell] != want {
			t.Errorf("%s: %q, want %q", cell, verdicts[cell], want)
		}
	}
	stdout, stderr, code = run(t, "explain", "-f", dir, "--from", "y/c", "--to", "y/b", "--port", "80/TCP")
	if code != ExitOK {
		t.Fatalf("explain exit %d: %s", code, stderr)
	}
	want := "ingress of y/b: Admin cnp/tenants prio 10 rule 0: Pass → NetworkPolicy isolated by y/allow-http, allowed by y/allow-http ingress rule 0, any peer, port 0"
	if !strings.Contains(stdout, want) {
		t.Errorf("explain output:\n%s\nlacks %q", stdout, want)
	}
}

func TestReportCompare(t *testing.T) {
	egress, ingress := t.TempDir(), t.TempDir()
	for dir, tag := range map[string]string{egress: "egress", ingress: "ingress"} {
		if _, stderr, code := run(t, "simulate", "-q", "--tags", tag, "--report-dir", dir); code != ExitOK {
			t.Fatalf("simulate --tags %s: exit %d: %s", tag, code, stderr)
		}
	}
	a := filepath.Join(egress, "results.json")
	stdout, stderr, code := run(t, "report", "compare", a, a)
	if code != ExitOK || !strings.Contains(stdout, "the same: ") {
		t.Errorf("a run against itself: exit %d, stdout %q, stderr %q; want 0 and the same", code, stdout, stderr)
	}
	html := filepath.Join(t.TempDir(), "compare.html")
	stdout, _, code = run(t, "report", "compare", a, filepath.Join(ingress, "results.json"), "--html", html)
	if code != ExitFailed || !strings.Contains(stdout, "scenarios whose status differs") || !strings.Contains(stdout, "not run") {
		t.Errorf("different selections: exit %d, stdout %q; want 1 and the scenarios each ran alone", code, stdout)
	}
	if stdout, _, code := run(t, "report", "compare", "--common", a, filepath.Join(ingress, "results.json")); code != ExitOK {
		t.Errorf("different selections with --common: exit %d, stdout %q; want 0, the scenarios both ran agreeing", code, stdout)
	}
	if page, err := os.ReadFile(html); err != nil || !bytes.Contains(page, []byte(`"comparison":`)) {
		t.Errorf("--html page: %v", err)
	}
	if _, stderr, code := run(t, "report", "compare", a, "no-such.json"); code != ExitBadInput || !strings.Contains(stderr, "no-such.json") {
		t.Errorf("missing file: exit %d, %q; want 2 naming it", code, stderr)
	}
}
