package main

import (
	"fmt"
	"slices"

	npaconformance "sigs.k8s.io/network-policy-api/conformance/apis/v1alpha1"
	"sigs.k8s.io/yaml"

	"github.com/netpolcheck/netpolcheck/reports"
)

// checkConformanceReport reads certify's ConformanceReport with the
// upstream types and holds it to the results it came from.
func checkConformanceReport(raw []byte, r *reports.Results) (string, []string) {
	var report npaconformance.ConformanceReport
	if err := yaml.UnmarshalStrict(raw, &report); err != nil {
		return "", []string{fmt.Sprintf("the network-policy-api types refuse the report: %v", err)}
	}
	var problems []string
	if report.Kind != "ConformanceReport" || report.APIVersion != "policy.networking.k8s.io/v1alpha1" {
		problems = append(problems, fmt.Sprintf("kind %q, apiVersion %q", report.Kind, report.APIVersion))
	}
	if len(report.ProfileReports) != 1 || report.ProfileReports[0].Name != "ClusterNetworkPolicy" {
		return "", append(problems, fmt.Sprintf("profiles %+v, want one named ClusterNetworkPolicy", report.ProfileReports))
	}
	p := report.ProfileReports[0]
	parts := []npaconformance.Status{p.Standard}
	if p.Experimental != nil {
		parts = append(parts, p.Experimental.Status)
	}
	var counted uint32
	for _, s := range parts {
		counted += s.Passed + s.Failed + s.Skipped
		if s.Result != npaconformance.Success {
			problems = append(problems, fmt.Sprintf("result %s: failed %v", s.Result, s.FailedTests))
		}
	}
	want := uint32(0)
	for _, s := range r.Scenarios {
		if slices.Contains(s.Tags, reports.ClusterPolicyTag) && !slices.Contains(s.Tags, reports.V1alpha1Tag) {
			want++
		}
	}
	if counted != want || want == 0 {
		problems = append(problems, fmt.Sprintf("the report counts %d tests, the results hold %d ClusterNetworkPolicy scenarios", counted, want))
	}
	return fmt.Sprintf("conformance report: %d tests, standard %s (%d passed), experimental %v", counted, p.Standard.Result, p.Standard.Passed, p.Experimental != nil), problems
}
