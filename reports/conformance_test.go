package reports

import (
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	npaconformance "sigs.k8s.io/network-policy-api/conformance/apis/v1alpha1"
	"sigs.k8s.io/yaml"
)

func TestConformanceReport(t *testing.T) {
	res := &Results{
		Started: time.Date(2026, 12, 6, 20, 0, 0, 0, time.UTC),
		Scenarios: []ScenarioResult{
			{Name: "cnp-a", Tags: []string{"cnp", "tier=admin"}, Status: Pass},
			{Name: "cnp-b", Tags: []string{"cnp", "tier=baseline"}, Status: Fail},
			{Name: "cnp-named", Tags: []string{"cnp", "cnp-port=named"}, Status: Pass},
			{Name: "cnp-nodes", Tags: []string{"cnp", "cnp-peer=nodes"}, Status: Fail},
			{Name: "cnp-dns", Tags: []string{"cnp", "cnp-peer=domain-names"}, Status: Skipped},
			{Name: "seed-np", Tags: []string{"ingress"}, Status: Fail},
			// A v1alpha1 twin is another API: not in this report.
			{Name: "cnp-b-v1alpha1", Tags: []string{"cnp", "tier=baseline", "api=v1alpha1"}, Status: Fail},
			{Name: "cnp-named-v1alpha1", Tags: []string{"cnp", "cnp-port=named", "api=v1alpha1"}, Status: Fail},
		},
	}
	impl := Implementation{Organization: "o", Project: "p", URL: "https://example.com/p", Version: "v1", Contact: []string{"@me"}}
	out, err := ConformanceReportYAML(ConformanceReport(res, impl))
	if err != nil {
		t.Fatal(err)
	}
	// Read back with the upstream module's own types, refusing any field
	// they do not have: the format is theirs.
	var got npaconformance.ConformanceReport
	if err := yaml.UnmarshalStrict(out, &got); err != nil {
		t.Fatalf("the upstream types refuse the report: %v\n%s", err, out)
	}
	if got.Kind != "ConformanceReport" || got.APIVersion != "policy.networking.k8s.io/v1alpha1" || got.NetworkPolicyBundleVersion != "v0.3.0" ||
		got.Date != "2026-12-06T20:00:00Z" || !reflect.DeepEqual(got.Implementation, impl) {
		t.Errorf("header: %+v", got)
	}
	if len(got.ProfileReports) != 1 || got.ProfileReports[0].Name != "ClusterNetworkPolicy" {
		t.Fatalf("profiles: %+v", got.ProfileReports)
	}
	p := got.ProfileReports[0]
	if p.Standard.Result != npaconformance.Failure || p.Standard.Passed != 1 || p.Standard.Failed != 1 || !reflect.DeepEqual(p.Standard.FailedTests, []string{"cnp-b"}) {
		t.Errorf("standard: %+v", p.Standard)
	}
	e := p.Experimental
	if e == nil || e.Passed != 1 || e.Failed != 1 || e.Skipped != 1 ||
		!reflect.DeepEqual(e.SupportedFeatures, []string{"ClusterNetworkPolicyNamedPorts"}) ||
		!reflect.DeepEqual(e.UnsupportedFeatures, []string{"ClusterNetworkPolicyEgressNodePeers"}) {
		t.Errorf("experimental: %+v", e)
	}
}

// The report reads like the ones filed upstream: the same keys as the
// kube-network-policies report in the module.
func TestConformanceReportMatchesAFiledOne(t *testing.T) {
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "sigs.k8s.io/network-policy-api").Output()
	if err != nil {
		t.Fatalf("locate the network-policy-api module: %v", err)
	}
	filed, err := os.ReadFile(filepath.Join(strings.TrimSpace(string(out)), "conformance/reports/v0.2.0/kube-network-policies.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	ours, err := ConformanceReportYAML(ConformanceReport(&Results{Scenarios: []ScenarioResult{
		{Name: "a", Tags: []string{"cnp"}, Status: Pass}, {Name: "n", Tags: []string{"cnp", "cnp-port=named"}, Status: Pass},
	}}, Implementation{Contact: []string{"@someone"}}))
	if err != nil {
		t.Fatal(err)
	}
	keys := func(doc []byte) []string {
		var m map[string]any
		if err := yaml.Unmarshal(doc, &m); err != nil {
			t.Fatal(err)
		}
		var out []string
		var walk func(prefix string, v any)
		walk = func(prefix string, v any) {
			switch v := v.(type) {
			case map[string]any:
				for k, x := range v {
					walk(prefix+"."+k, x)
				}
			case []any:
				for _, x := range v {
					walk(prefix+"[]", x)
				}
			default:
				out = append(out, prefix)
			}
		}
		walk("", m)
		return out
	}
	have := map[string]bool{}
	for _, k := range keys(ours) {
		have[k] = true
	}
	for _, k := range keys(filed) {
		if !have[k] {
			t.Errorf("the filed report has %s, ours does not", k)
		}
	}
}
