package reports

import (
	"fmt"
	"slices"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	npaconformance "sigs.k8s.io/network-policy-api/conformance/apis/v1alpha1"
	"sigs.k8s.io/yaml"
)

// ClusterPolicyTag marks the scenarios that use ClusterNetworkPolicy, in
// the library and among the generated cases.
const ClusterPolicyTag = "cnp"

// V1alpha1Tag marks the v1alpha1 twins of ClusterNetworkPolicy scenarios
// (AdminNetworkPolicy and BaselineAdminNetworkPolicy).
const V1alpha1Tag = "api=v1alpha1"

// NetworkPolicyBundleVersion is the network-policy-api release whose API
// and CRDs netpolcheck judges ClusterNetworkPolicy by.
const NetworkPolicyBundleVersion = "v0.3.0"

// experimentalFeatures maps the tags of scenarios that use the experimental
// channel to the upstream conformance suite's feature names. domainNames
// peers have no upstream feature; their scenarios count as experimental.
var experimentalFeatures = map[string]string{
	"cnp-port=named":        "ClusterNetworkPolicyNamedPorts",
	"cnp-peer=nodes":        "ClusterNetworkPolicyEgressNodePeers",
	"cnp-peer=domain-names": "",
}

// Implementation says whose ClusterNetworkPolicy implementation a report
// is about, as the upstream report does.
type Implementation = npaconformance.Implementation

// ConformanceReport is the run's ClusterNetworkPolicy scenarios as a
// network-policy-api ConformanceReport (policy.networking.k8s.io/v1alpha1),
// the format CNI projects file upstream: one ClusterNetworkPolicy profile,
// its standard part made of the scenarios using only standard-channel
// fields, its experimental part of the others, each scenario one test.
// A feature is supported when every scenario using it passed.
func ConformanceReport(res *Results, impl Implementation) *npaconformance.ConformanceReport {
	var standard, experimental npaconformance.Status
	supported, unsupported := map[string]bool{}, map[string]bool{}
	for _, s := range res.Scenarios {
		// The v1alpha1 twins are another API (network-policy-api v0.1.x),
		// which this v0.3.0 report has no profile for.
		if !slices.Contains(s.Tags, ClusterPolicyTag) || slices.Contains(s.Tags, V1alpha1Tag) {
			continue
		}
		var features []string
		isExperimental := false
		for _, tag := range s.Tags {
			if name, ok := experimentalFeatures[tag]; ok {
				isExperimental = true
				if name != "" {
					features = append(features, name)
				}
			}
		}
		part := &standard
		if isExperimental {
			part = &experimental
		}
		switch s.Status {
		case Pass:
			part.Passed++
			for _, f := range features {
				supported[f] = true
			}
		case Skipped:
			part.Skipped++
			part.SkippedTests = append(part.SkippedTests, s.Name)
		default:
			part.Failed++
			part.FailedTests = append(part.FailedTests, s.Name)
			for _, f := range features {
				unsupported[f] = true
			}
		}
	}
	profile := npaconformance.ProfileReport{Name: "ClusterNetworkPolicy", Standard: finish(standard)}
	if experimental.Passed+experimental.Skipped+experimental.Failed > 0 {
		exp := &npaconformance.ExperimentalStatus{Status: finish(experimental)}
		for f := range supported {
			if !unsupported[f] {
				exp.SupportedFeatures = append(exp.SupportedFeatures, f)
			}
		}
		for f := range unsupported {
			exp.UnsupportedFeatures = append(exp.UnsupportedFeatures, f)
		}
		slices.Sort(exp.SupportedFeatures)
		slices.Sort(exp.UnsupportedFeatures)
		profile.Experimental = exp
	}
	return &npaconformance.ConformanceReport{
		TypeMeta:                   metav1.TypeMeta{APIVersion: "policy.networking.k8s.io/v1alpha1", Kind: "ConformanceReport"},
		Implementation:             impl,
		Date:                       res.Started.Format(time.RFC3339),
		NetworkPolicyBundleVersion: NetworkPolicyBundleVersion,
		ProfileReports:             []npaconformance.ProfileReport{profile},
	}
}

// finish gives a part its result and summary: success when nothing failed.
func finish(s npaconformance.Status) npaconformance.Status {
	s.Result = npaconformance.Success
	if s.Failed > 0 {
		s.Result = npaconformance.Failure
	}
	s.Summary = fmt.Sprintf("netpolcheck: %d scenarios passed, %d failed, %d skipped", s.Passed, s.Failed, s.Skipped)
	return s
}

// ConformanceReportYAML renders the report as the upstream reports are filed.
func ConformanceReportYAML(r *npaconformance.ConformanceReport) ([]byte, error) {
	out, err := yaml.Marshal(r)
	if err != nil {
		return nil, fmt.Errorf("conformance report: %w", err)
	}
	return out, nil
}
