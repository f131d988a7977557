package app

import (
	"fmt"
	"io"
	"slices"

	"github.com/spf13/pflag"

	"github.com/netpolcheck/netpolcheck/scenarios"
	"github.com/netpolcheck/netpolcheck/scenarios/generate"
	"github.com/netpolcheck/netpolcheck/scenarios/library"
)

// selectionFlags choose scenarios, the same way in every command.
type selectionFlags struct {
	files   []string
	profile string
	podCIDR string
	scenarios.Selector
}

func (f *selectionFlags) bind(fs *pflag.FlagSet) {
	fs.StringArrayVarP(&f.files, "file", "f", nil, "scenario file, manifest file or directory (repeatable); the built-in library when absent")
	fs.StringVar(&f.podCIDR, "pod-cidr", "", "where manifests' pods without status.podIP get addresses (IPv4, /24 or wider); by default a private range free of the manifests' own pod addresses")
	fs.StringVar(&f.profile, "profile", "", "add the generated cases of this profile: quick (pairwise, for pull requests) or full; cnp is the ClusterNetworkPolicy library and every generated ClusterNetworkPolicy case")
	fs.StringArrayVar(&f.Focus, "focus", nil, "run only scenarios whose name matches this regular expression (repeatable)")
	fs.StringArrayVar(&f.Skip, "skip", nil, "skip scenarios whose name matches this regular expression (repeatable)")
	fs.StringSliceVar(&f.Tags, "tags", nil, "run only scenarios carrying one of these tags; a+b means both a and b")
	fs.StringSliceVar(&f.ExcludeTags, "exclude-tags", nil, "skip scenarios carrying any of these tags; a+b means both a and b")
}

// load reads and selects the scenarios. An empty selection is bad input: a
// run that tests nothing must not look like a pass.
func (f *selectionFlags) load(notes io.Writer) ([]*scenarios.Scenario, error) {
	all, err := f.sources(notes)
	if err != nil {
		return nil, err
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

// sources are the scenario files given with -f plus the generated cases of
// --profile; the built-in library when neither is given. Files passed over
// on purpose are named on notes.
func (f *selectionFlags) sources(notes io.Writer) ([]*scenarios.Scenario, error) {
	if len(f.files) == 0 && f.profile == "" {
		all, err := library.Builtin()
		if err != nil {
			return nil, fmt.Errorf("built-in library: %w", err)
		}
		return all, nil
	}
	var all []*scenarios.Scenario
	if f.podCIDR != "" {
		if msg := scenarios.PodCIDRProblem(f.podCIDR); msg != "" {
			return nil, badInput("--pod-cidr: %s", msg)
		}
	}
	if len(f.files) > 0 {
		loaded, err := scenarios.LoadPathsWith(f.files, scenarios.LoadOptions{PodCIDR: f.podCIDR, Note: func(msg string) { fmt.Fprintf(notes, "netpolcheck: %s\n", msg) }})
		if err != nil {
			return nil, err
		}
		all = loaded
	}
	if f.profile == cnpProfile {
		cases, err := clusterPolicyProfile()
		if err != nil {
			return nil, err
		}
		return append(all, cases...), nil
	}
	if f.profile != "" {
		if !slices.Contains(generate.Profiles(), generate.Profile(f.profile)) {
			return nil, badInput("--profile %q: not one of quick, full, cnp", f.profile)
		}
		cases, err := generate.AllCases(generate.Profile(f.profile))
		if err != nil {
			return nil, fmt.Errorf("generate %s cases: %w", f.profile, err)
		}
		all = append(all, cases...)
	}
	return all, nil
}

// cnpProfile names the ClusterNetworkPolicy certification profile.
const cnpProfile = "cnp"

// clusterPolicyProfile is the cnp profile's scenarios: the built-in
// library's ClusterNetworkPolicy scenarios, then every generated
// ClusterNetworkPolicy case of the full profile, each with its v1alpha1
// twin where it has one.
func clusterPolicyProfile() ([]*scenarios.Scenario, error) {
	builtin, err := library.Builtin()
	if err != nil {
		return nil, fmt.Errorf("built-in library: %w", err)
	}
	out := slices.DeleteFunc(builtin, func(s *scenarios.Scenario) bool { return !s.UsesClusterPolicies() })
	cases, err := generate.ClusterCases(generate.Full)
	if err != nil {
		return nil, fmt.Errorf("generate ClusterNetworkPolicy cases: %w", err)
	}
	// The library has its twins already; the generated cases get theirs.
	if cases, err = scenarios.WithV1alpha1Twins(cases); err != nil {
		return nil, fmt.Errorf("v1alpha1 twins of the generated ClusterNetworkPolicy cases: %w", err)
	}
	return append(out, cases...), nil
}
