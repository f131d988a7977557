package scenarios

import (
	"maps"
	"slices"
)

// ManifestStepName is the name of the single step of a scenario made of manifests.
const ManifestStepName = "apply manifests"

// ParseManifests makes one scenario of plain Kubernetes manifests (Namespace,
// Pod, NetworkPolicy; files keyed by name, read in name order): the pods and
// namespaces form the model, and one step applies every policy, with no
// hand-written expectation, so the oracle's verdict is the expectation.
// Namespace "default" exists implicitly and objects without a namespace go there.
func ParseManifests(name string, files map[string][]byte) (*Scenario, error) {
	return ParseManifestsWith(name, files, LoadOptions{})
}

// ParseManifestsWith is ParseManifests with options (the pod CIDR).
func ParseManifestsWith(name string, files map[string][]byte, opts LoadOptions) (*Scenario, error) {
	names := sortedKeys(files)
	if len(names) == 0 {
		return nil, Errors{{Msg: "no manifests given"}}
	}
	var docs []manifestDoc
	var errs Errors
	for _, file := range names {
		roots, err := readDocuments(file, files[file])
		if err != nil {
			errs = append(errs, asErrors(err)...)
			continue
		}
		for _, root := range roots {
			if !isManifest(root) {
				errs = append(errs, &InputError{File: file, Line: root.Line, Msg: "not a Kubernetes manifest: apiVersion and kind are required"})
				continue
			}
			docs = append(docs, manifestDoc{file: file, root: root})
		}
	}
	if len(errs) > 0 {
		return nil, errs
	}
	s, errs := manifestScenario(name, names[0], docs, opts)
	if len(errs) > 0 {
		return nil, errs
	}
	return s.s, nil
}

// manifestKinds are the kinds a manifest may have, with the apiVersion each needs.
var manifestKinds = map[string]string{"Namespace": "v1", "Pod": "v1", "NetworkPolicy": "networking.k8s.io/v1"}

// manifestScenario converts manifests into a scenario and validates it,
// taking errors back to the manifests' own files, lines and fields.
//
// Pods keep the addresses they carry (status.podIP), anywhere in IPv4. Pods
// without one get planned addresses from opts.PodCIDR or, when it is empty,
// from a private range that holds none of the carried ones.
func manifestScenario(name, file string, docs []manifestDoc, opts LoadOptions) (parsedScenario, Errors) {
	set := &manifestSet{namespaces: []NamespaceSpec{{Name: "default"}}, declared: map[string]bool{}, podNames: map[string]bool{}, sources: &sourceMap{}}
	for _, d := range docs {
		set.add(d)
	}
	// Pods and policies come after all namespaces: a directory's files are read
	// in name order, and pods.yaml sorts before namespaces.yaml.
	for _, p := range set.pods {
		set.addPod(p)
	}
	s := &Scenario{Name: name, File: file, Steps: []Step{{Name: ManifestStepName}}}
	for _, p := range set.policies {
		set.addPolicy(s, p)
	}
	for _, p := range set.clusterPolicies {
		set.addClusterPolicyAction(s, p)
	}
	if len(set.errs) > 0 {
		return parsedScenario{}, set.errs
	}
	s.Model.Namespaces = set.namespaces
	s.Skipped = set.skipped
	s.Model.PodCIDR = opts.PodCIDR
	if s.Model.PodCIDR == "" {
		s.Model.PodCIDR = planningCIDR(slices.Collect(maps.Keys(pinnedAddresses(s)))).String()
	}
	s.Warnings = append(normalizeLegacyCIDRs(s), clusterPolicyNotes(s)...)
	errs := s.validate()
	for _, e := range append(errs, s.Warnings...) {
		set.sources.locate(e, file)
	}
	if len(errs) > 0 {
		return parsedScenario{}, errs
	}
	return parsedScenario{s: s}, nil
}
