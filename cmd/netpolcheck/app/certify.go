package app

import (
	"context"
	"errors"
	"fmt"
	"github.com/netpolcheck/netpolcheck/clusters/kube"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/netpolcheck/netpolcheck/probes"
	"github.com/netpolcheck/netpolcheck/reports"
	"github.com/netpolcheck/netpolcheck/scenarios"
	"github.com/netpolcheck/netpolcheck/scenarios/library"
)

// defaultCertifyDir is where certify writes its reports unless told otherwise:
// a certification is worth keeping.
const defaultCertifyDir = "netpolcheck-certify"

type certifyFlags struct {
	selectionFlags
	outputFlags
	timingFlags
	kube        kubeFlags
	concurrency int
	// implementation is who the ConformanceReport is about.
	implementation reports.Implementation
}

func newCertifyCommand(s streams) *cobra.Command {
	f := &certifyFlags{}
	cmd := &cobra.Command{
		Use:   "certify [--kubeconfig FILE] [--context NAME] [--tags ...] [--profile quick|full] [--report-dir DIR]",
		Short: "Run the conformance scenarios against a cluster's own CNI and report which NetworkPolicy features it enforces",
		Long: `certify runs the built-in library (plus the generated cases of --profile, or
the scenarios of -f) on the cluster of --kubeconfig and --context, enforcing with
the cluster's own CNI. It deploys nothing but unprivileged probe pods, in
namespaces npc-<run>-<n>-<name> that it deletes afterwards, and drives every
probe through exec, never over the pod network.

The reports (results.json, junit.xml, report.html, in --report-dir) carry a
table of features (ingress, egress, ip-block, except, named-port, end-port, udp,
sctp, update, delete, relabel) saying which the CNI passes. SCTP is skipped
unless --sctp on or auto; external hosts unless --external-host gives them.
See docs/certify.md.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := f.validate(); err != nil {
				return err
			}
			if err := f.checkTiming(cmd.Flags()); err != nil {
				return err
			}
			f.denyMustDropFor(cmd.Flags(), f.profile)
			if f.reportDir == "" && !cmd.Flags().Changed("report-dir") {
				f.reportDir = defaultCertifyDir
				if err := f.checkReportDir(); err != nil {
					return err
				}
			}
			if _, err := f.kube.options(f.concurrency); err != nil {
				return err
			}
			scns, err := f.loadCertified(s.Err)
			if err != nil {
				return err
			}
			ctx, stop := signal.NotifyContext(cmd.Context(), syscall.SIGINT, syscall.SIGTERM)
			defer stop()
			backend, err := f.kube.backend(ctx, f.concurrency, s.Err)
			if err != nil {
				return err
			}
			var progress io.Writer = s.Err
			if f.quiet {
				progress = nil
			}
			if caps := backend.Capabilities(); progress != nil {
				// Said up front, so nobody waits for a run whose skips they did not expect.
				if !caps.SCTP {
					fmt.Fprintf(progress, "certify: SCTP cells are skipped: %s\n", caps.SCTPReason)
				}
				if !caps.ExternalHosts {
					fmt.Fprintf(progress, "certify: external host cells are skipped: %s\n", caps.ExternalHostsReason)
				}
			}
			if caps := backend.Capabilities(); f.profile == cnpProfile {
				// Checked first: every scenario of the profile would be skipped.
				switch {
				case !caps.ClusterNetworkPolicy && !caps.AdminNetworkPolicy:
					return errors.Join(badInput("--profile cnp: %s; and %s", caps.ClusterNetworkPolicyReason, caps.AdminNetworkPolicyReason), backend.Close(context.WithoutCancel(ctx)))
				case progress == nil:
				case !caps.ClusterNetworkPolicy:
					fmt.Fprintf(progress, "certify: ClusterNetworkPolicy scenarios are skipped (their v1alpha1 twins run): %s\n", caps.ClusterNetworkPolicyReason)
				case !caps.AdminNetworkPolicy:
					fmt.Fprintf(progress, "certify: the v1alpha1 twins are skipped: %s\n", caps.AdminNetworkPolicyReason)
				}
			}
			return runAndReport(ctx, s, backend, scns, f.runnerOptions(progress, f.kube.behaviour), &f.outputFlags, func(res *reports.Results) error {
				res.Target = f.kube.targetList()
				res.Enforcer = f.kube.kindEnforcer
				printExecStats(s.Err, "certify", backend)
				return f.writeConformanceReport(res)
			})
		},
	}
	f.selectionFlags.bind(cmd.Flags())
	f.outputFlags.bind(cmd.Flags())
	fl := cmd.Flags()
	fl.Lookup("profile").Usage = "also run the generated cases of this profile: quick (pairwise) or full"
	fl.Lookup("report-dir").Usage = "write results.json, junit.xml and report.html into this directory (" + defaultCertifyDir + " unless given)"
	f.timingFlags.bind(fl, "(default 20s: CNIs program policies asynchronously)", "(default 1s)")
	fl.IntVar(&f.concurrency, "probe-concurrency", probes.DefaultConcurrency, "probes in flight at once inside each probe pod")
	f.kube.bind(fl, true)
	fl.StringVar(&f.implementation.Organization, "implementation-organization", "", "ConformanceReport: the organization of the CNI certified")
	fl.StringVar(&f.implementation.Project, "implementation-project", "", "ConformanceReport: the CNI's project name")
	fl.StringVar(&f.implementation.URL, "implementation-url", "", "ConformanceReport: the CNI's project URL")
	fl.StringVar(&f.implementation.Version, "implementation-version", "", "ConformanceReport: the CNI's version")
	fl.StringSliceVar(&f.implementation.Contact, "implementation-contact", nil, "ConformanceReport: who to contact about the CNI (repeatable)")
	return cmd
}

// conformanceReportFile is where certify writes the network-policy-api
// ConformanceReport, beside the other reports.
const conformanceReportFile = "conformance-report.yaml"

// writeConformanceReport writes the upstream-format ConformanceReport when
// the run had ClusterNetworkPolicy scenarios and a report directory.
func (f *certifyFlags) writeConformanceReport(res *reports.Results) error {
	if f.reportDir == "" || !slices.ContainsFunc(res.Scenarios, func(s reports.ScenarioResult) bool { return slices.Contains(s.Tags, reports.ClusterPolicyTag) }) {
		return nil
	}
	out, err := reports.ConformanceReportYAML(reports.ConformanceReport(res, f.implementation))
	if err != nil {
		return err
	}
	if err := os.MkdirAll(f.reportDir, 0o755); err != nil {
		return fmt.Errorf("write %s: %w", conformanceReportFile, err)
	}
	if err := os.WriteFile(filepath.Join(f.reportDir, conformanceReportFile), out, 0o644); err != nil {
		return fmt.Errorf("write %s: %w", conformanceReportFile, err)
	}
	return nil
}

// loadCertified selects from the built-in library plus the generated cases
// of --profile; -f replaces the library, as in run.
func (f *certifyFlags) loadCertified(notes io.Writer) ([]*scenarios.Scenario, error) {
	all, err := f.sources(notes)
	if err != nil {
		return nil, err
	}
	if len(f.files) == 0 && f.profile != "" && f.profile != cnpProfile {
		builtin, err := library.Builtin()
		if err != nil {
			return nil, fmt.Errorf("built-in library: %w", err)
		}
		all = append(builtin, all...)
	}
	selected, err := f.Select(all)
	if err != nil {
		return nil, err
	}
	if len(selected) == 0 {
		return nil, badInput("no scenario matches the selection (%d scenarios before --focus/--skip/--tags/--exclude-tags)", len(all))
	}
	return selected, nil
}

// printExecStats says how many execs the run made into probe pods, the cost
// that dominates a run on a real cluster; run --cluster kind says the same.
func printExecStats(w io.Writer, who string, b *kube.Backend) {
	fmt.Fprintf(w, "%s: %d execs into probe pods, %d of them again after a stream ended early; %d batches sent again after their probe session failed\n",
		who, b.ExecCalls(), b.ExecRetries(), b.SessionFailures())
}
