package scenarios

import (
	"fmt"
	"path/filepath"
	"strings"

	yaml "go.yaml.in/yaml/v3"
)

// Parse reads scenario documents (YAML or JSON, several separated by "---")
// and validates them; errors carry file and line. Kubernetes manifest
// documents in the same data (apiVersion and kind) form one more scenario,
// named after the file, as LoadPaths would make of them.
func Parse(file string, data []byte) ([]*Scenario, error) {
	docs, err := readDocuments(file, data)
	if err != nil {
		return nil, asErrors(err)
	}
	parsed, manifests, errs := parseDocuments(file, docs)
	if len(manifests) > 0 {
		s, merrs := manifestScenario(nameFromPath(file), file, manifests, LoadOptions{})
		errs = append(errs, merrs...)
		parsed = append(parsed, s)
	}
	return finish(parsed, errs)
}

// parsedScenario is a scenario with the line its name is on, for duplicate-name errors.
type parsedScenario struct {
	s        *Scenario
	nameLine int
}

// manifestDoc is one Kubernetes manifest document awaiting conversion.
type manifestDoc struct {
	file string
	root *yaml.Node
}

// parseDocuments decodes and validates the scenario documents of a file and
// sets its manifest documents aside.
func parseDocuments(file string, docs []*yaml.Node) ([]parsedScenario, []manifestDoc, Errors) {
	var out []parsedScenario
	var manifests []manifestDoc
	var errs Errors
	for _, root := range docs {
		if isManifest(root) {
			manifests = append(manifests, manifestDoc{file: file, root: root})
			continue
		}
		s, nameLine, serrs := parseScenario(file, root)
		errs = append(errs, serrs...)
		if s != nil {
			out = append(out, parsedScenario{s: s, nameLine: nameLine})
		}
	}
	return out, manifests, errs
}

// parseScenario decodes one scenario document strictly and validates it,
// reporting validation errors at the lines of the fields they name.
func parseScenario(file string, root *yaml.Node) (*Scenario, int, Errors) {
	if root.Kind != yaml.MappingNode {
		return nil, 0, Errors{{File: file, Line: root.Line, Msg: fmt.Sprintf("a scenario must be a mapping, not %s", describe(root))}}
	}
	var s Scenario
	lines, errs := decodeNode(root, &s)
	if len(errs) > 0 {
		for _, e := range errs {
			e.File = file
		}
		return nil, 0, errs
	}
	s.File = file
	s.Warnings = append(normalizeLegacyCIDRs(&s), clusterPolicyNotes(&s)...)
	errs = s.validate()
	sources := &sourceMap{}
	sources.add("", file, "", lines)
	for _, e := range append(errs, s.Warnings...) {
		sources.locate(e, file)
	}
	if len(errs) > 0 {
		return nil, 0, errs
	}
	return &s, lineOf(lines, "name"), nil
}

// finish refuses duplicate scenario names, which would make selection and
// reports ambiguous, and returns the scenarios or every error.
func finish(parsed []parsedScenario, errs Errors) ([]*Scenario, error) {
	first := map[string]parsedScenario{}
	var out []*Scenario
	for _, p := range parsed {
		if p.s == nil {
			continue
		}
		if f, dup := first[p.s.Name]; dup {
			errs = append(errs, &InputError{File: p.s.File, Line: p.nameLine, Field: "name",
				Msg: fmt.Sprintf("duplicate scenario name %q (first in %s:%d)", p.s.Name, f.s.File, f.nameLine)})
			continue
		}
		first[p.s.Name] = p
		out = append(out, p.s)
	}
	if len(errs) > 0 {
		return nil, errs
	}
	return out, nil
}

// nameFromPath names a manifest scenario after a file (without its
// extension) or a directory.
func nameFromPath(p string) string {
	if abs, err := filepath.Abs(p); err == nil {
		p = abs
	}
	base := filepath.Base(p)
	for _, ext := range []string{".yaml", ".yml", ".json"} {
		if trimmed, ok := strings.CutSuffix(base, ext); ok && trimmed != "" {
			return trimmed
		}
	}
	return base
}
