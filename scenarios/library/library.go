package library

import (
	"embed"
	"fmt"
	"io/fs"
	"slices"
	"strings"

	"github.com/netpolcheck/netpolcheck/scenarios"
)

// files are the scenario files, one scenario each, under seeds/, pitfalls/ and upstream/.
//
//go:embed */*.yaml
var files embed.FS

// filePrefix makes a scenario's File name say where it came from in error
// messages and reports, distinct from a user's own files.
const filePrefix = "library/"

// Builtin loads every built-in scenario, sorted by name. File is "library/<dir>/<file>".
func Builtin() ([]*scenarios.Scenario, error) {
	return load(files)
}

// load parses every */*.yaml file of fsys. It is apart from Builtin so that
// tests can feed it broken libraries.
func load(fsys fs.FS) ([]*scenarios.Scenario, error) {
	paths, err := fs.Glob(fsys, "*/*.yaml")
	if err != nil {
		return nil, fmt.Errorf("list scenario files: %w", err)
	}
	if len(paths) == 0 {
		// An empty library would make every run test nothing and pass.
		return nil, fmt.Errorf("no scenario files in the library")
	}
	var out []*scenarios.Scenario
	byName := map[string]string{}
	for _, p := range paths {
		data, err := fs.ReadFile(fsys, p)
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", filePrefix+p, err)
		}
		parsed, err := scenarios.Parse(filePrefix+p, data)
		if err != nil {
			return nil, err
		}
		if len(parsed) != 1 {
			return nil, fmt.Errorf("%s: holds %d scenarios, the library wants exactly one per file", filePrefix+p, len(parsed))
		}
		s := parsed[0]
		if other, dup := byName[s.Name]; dup {
			return nil, fmt.Errorf("%s: scenario name %q is already used by %s", filePrefix+p, s.Name, other)
		}
		byName[s.Name] = filePrefix + p
		out = append(out, s)
	}
	twins, err := v1alpha1Twins(out, byName)
	if err != nil {
		return nil, err
	}
	out = append(out, twins...)
	slices.SortFunc(out, func(a, b *scenarios.Scenario) int { return strings.Compare(a.Name, b.Name) })
	return out, nil
}

// v1alpha1Twins are the ClusterNetworkPolicy scenarios written as
// AdminNetworkPolicy and BaselineAdminNetworkPolicy (v1alpha1), with their
// expectations: what network-policy-api v0.1.x implementations
// (kube-network-policies v0.8.0 among them) enforce, judged by the same
// cases. A scenario v1alpha1 cannot express has none.
func v1alpha1Twins(all []*scenarios.Scenario, byName map[string]string) ([]*scenarios.Scenario, error) {
	var out []*scenarios.Scenario
	for _, s := range all {
		twin, ok, _, err := scenarios.V1alpha1Twin(s)
		if err != nil {
			return nil, err
		}
		if !ok {
			continue
		}
		if other, dup := byName[twin.Name]; dup {
			return nil, fmt.Errorf("%s: the v1alpha1 twin's name %q is already used by %s", s.File, twin.Name, other)
		}
		byName[twin.Name] = s.File
		out = append(out, twin)
	}
	return out, nil
}
