// Command compare-results checks the results.json files of make e2e-kind
// against each other, cell by cell, and prints a one-line summary.
//
//	compare-results same [--external-skipped] [--subset] RUN.json OTHER.json
//
// passes when both runs cover the same cells with the same expected and
// observed verdicts. With --external-skipped, a cell OTHER skipped because
// it had no external hosts (certify on a kind cluster) may differ when one
// end of it is an external host. With --subset, OTHER ran some of RUN's
// scenarios, which must match; RUN's others are left out.
//
//	compare-results no-enforcer RESULTS.json
//
// passes when a run without enforcer failed exactly on the cells the
// oracle blocks: every such cell (loopback ones aside) observed allowed and
// failed, every other cell passed, and no step errored.
//
//	compare-results conformance-report REPORT.yaml RESULTS.json
//
// passes when certify's ConformanceReport reads with the network-policy-api
// module's own types (unknown fields refused), says success, and counts
// exactly the ClusterNetworkPolicy scenarios of the results.
//
//	compare-results behaviour measured|unmeasured RESULTS.json
//
// passes when the run's behaviour probes all found something (measured: the
// cluster has an enforcer whose pods are known) or, without an enforcer,
// none could be measured.
package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/netpolcheck/netpolcheck/reports"
)

func main() {
	if err := run(os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintf(os.Stderr, "compare-results: %v\n", err)
		os.Exit(1)
	}
}

// errUsage is a command line compare-results cannot read.
var errUsage = errors.New("usage: compare-results same [--external-skipped] [--subset] RUN.json OTHER.json | no-enforcer RESULTS.json | conformance-report REPORT.yaml RESULTS.json | behaviour measured|unmeasured RESULTS.json")

// maxShown bounds the differences printed.
const maxShown = 20

// run checks what args ask for; the summary goes to stdout, the differences
// to stderr.
func run(args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return errUsage
	}
	var summary string
	var problems []string
	switch args[0] {
	case "same":
		fs := flag.NewFlagSet("same", flag.ContinueOnError)
		fs.SetOutput(stderr)
		externalSkipped := fs.Bool("external-skipped", false, "accept cells OTHER skipped for want of external hosts")
		subset := fs.Bool("subset", false, "OTHER ran some of RUN's scenarios: compare those only")
		if err := fs.Parse(args[1:]); err != nil || fs.NArg() != 2 {
			return errUsage
		}
		a, err := load(fs.Arg(0))
		if err != nil {
			return err
		}
		b, err := load(fs.Arg(1))
		if err != nil {
			return err
		}
		var c comparison
		c, problems = compareSame(a, b, *externalSkipped, *subset)
		summary = c.String()
	case "no-enforcer":
		if len(args) != 2 {
			return errUsage
		}
		r, err := load(args[1])
		if err != nil {
			return err
		}
		var c noEnforcerCheck
		c, problems = checkNoEnforcer(r)
		summary = c.String()
	case "conformance-report":
		if len(args) != 3 {
			return errUsage
		}
		raw, err := os.ReadFile(args[1])
		if err != nil {
			return err
		}
		r, err := load(args[2])
		if err != nil {
			return err
		}
		summary, problems = checkConformanceReport(raw, r)
	case "behaviour":
		if len(args) != 3 || (args[1] != "measured" && args[1] != "unmeasured") {
			return errUsage
		}
		r, err := load(args[2])
		if err != nil {
			return err
		}
		summary, problems = checkBehaviour(args[1], r)
	default:
		return errUsage
	}
	fmt.Fprintln(stdout, summary)
	for i, p := range problems {
		if i == maxShown {
			fmt.Fprintf(stderr, "  ... and %d more\n", len(problems)-maxShown)
			break
		}
		fmt.Fprintln(stderr, "  "+p)
	}
	if len(problems) > 0 {
		return fmt.Errorf("%d problems", len(problems))
	}
	return nil
}

// load reads one results.json.
func load(path string) (*reports.Results, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var r reports.Results
	if err := json.Unmarshal(data, &r); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return &r, nil
}
