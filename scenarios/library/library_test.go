package library

import (
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/netpolcheck/netpolcheck/scenarios"
	"github.com/netpolcheck/netpolcheck/scenarios/truth"
)

// seedDir holds copies of the seed documents, with their file names, so that
// the library is checked against them on every machine, CI included. They
// are read at test time only, never embedded: the library must stand alone.
const seedDir = "testdata/seeds"

// seedFileName is the shape of a seed document's file name, which is what a
// seed-derived scenario's Source holds.
var seedFileName = regexp.MustCompile(`^[0-9]{3}_[0-9a-f]{16}\.txt$`)

// maxCellsPerStep keeps every step cheap to probe on a real cluster.
const maxCellsPerStep = 2000

// tagVocabulary is the closed set of tags filters can rely on.
var tagVocabulary = []string{
	"allow-all", "create", "default-deny", "delete", "egress", "end-port", "except",
	"ingress", "ip-block", "match-expressions", "multi-port", "named-port",
	"namespace-selector", "pitfall", "pod-selector", "relabel", "sctp", "seed",
	"stacked", "udp", "update",
	// ClusterNetworkPolicy: the API, its tier, actions, subject and peer kinds, and port forms.
	"cnp", "tier=admin", "tier=baseline", "action=accept", "action=deny", "action=pass",
	"cnp-subject=namespaces", "cnp-subject=pods", "cnp-peer=namespaces", "cnp-peer=pods",
	"cnp-peer=networks", "cnp-peer=domain-names", "cnp-port=number", "cnp-port=range",
	"cnp-port=named", "undefined",
	// The v1alpha1 twins of ClusterNetworkPolicy scenarios.
	"api=v1alpha1",
}

func mustBuiltin(t *testing.T) []*scenarios.Scenario {
	t.Helper()
	all, err := Builtin()
	if err != nil {
		t.Fatalf("Builtin: %v", err)
	}
	return all
}

func TestBuiltinIsSortedAndNamedByFile(t *testing.T) {
	all := mustBuiltin(t)
	counts, twins := map[string]int{}, 0
	for i, s := range all {
		if i > 0 && all[i-1].Name >= s.Name {
			t.Errorf("scenario %d %q is not after %q", i, s.Name, all[i-1].Name)
		}
		dir, file, ok := strings.Cut(strings.TrimPrefix(s.File, filePrefix), "/")
		if !strings.HasPrefix(s.File, filePrefix) || !ok {
			t.Errorf("%s: File %q is not %s<dir>/<file>", s.Name, s.File, filePrefix)
			continue
		}
		// A v1alpha1 twin comes from its original's file.
		twin := slices.Contains(s.Tags, "api=v1alpha1")
		if want := strings.TrimSuffix(s.Name, "-v1alpha1") + ".yaml"; file != want || (twin && !strings.HasSuffix(s.Name, "-v1alpha1")) {
			t.Errorf("%s: file is %q, want %q", s.Name, file, want)
		}
		if twin {
			twins++
			continue
		}
		counts[dir]++
	}
	want := map[string]int{"seeds": 27, "pitfalls": 5, "upstream": 42, "cluster": 12}
	for dir, n := range want {
		if counts[dir] != n {
			t.Errorf("%s/ holds %d scenarios, want %d", dir, counts[dir], n)
		}
	}
	if len(counts) != len(want) {
		t.Errorf("scenario directories %v, want exactly %v", counts, want)
	}
	// Every ClusterNetworkPolicy scenario but cnp-baseline-priority-order
	// (three Baseline policies; v1alpha1 has one) has its twin.
	if twins != 11 {
		t.Errorf("%d v1alpha1 twins, want 11", twins)
	}
}

func TestBuiltinMetadata(t *testing.T) {
	for _, s := range mustBuiltin(t) {
		t.Run(s.Name, func(t *testing.T) {
			dir, _, _ := strings.Cut(strings.TrimPrefix(s.File, filePrefix), "/")
			switch dir {
			case "seeds":
				checkSeedName(t, "source", s.Source)
				if s.Seed != "" {
					t.Errorf("seed is %q; a seed scenario names its document in source", s.Seed)
				}
				requireTag(t, s, "seed")
			case "pitfalls":
				if s.Source != scenarios.SourcePitfall {
					t.Errorf("source is %q, want %q", s.Source, scenarios.SourcePitfall)
				}
				checkSeedName(t, "seed", s.Seed)
				requireTag(t, s, "pitfall")
			case "upstream":
				if s.Source != scenarios.SourceUpstreamE2E || s.Seed != "" {
					t.Errorf("source %q, seed %q: want source %q and no seed", s.Source, s.Seed, scenarios.SourceUpstreamE2E)
				}
			case "cluster":
				if s.Source != scenarios.SourceNetworkPolicyAPI || s.Seed != "" {
					t.Errorf("source %q, seed %q: want source %q and no seed", s.Source, s.Seed, scenarios.SourceNetworkPolicyAPI)
				}
				requireTag(t, s, "cnp")
				if !s.UsesClusterPolicies() {
					t.Error("applies no ClusterNetworkPolicy")
				}
			default:
				t.Errorf("file %q is in no known directory", s.File)
			}
			if s.Description == "" {
				t.Error("no description")
			}
			if len(s.Tags) == 0 {
				t.Error("no tags")
			}
			for _, tag := range s.Tags {
				if !slices.Contains(tagVocabulary, tag) {
					t.Errorf("tag %q is not in the vocabulary %v", tag, tagVocabulary)
				}
			}
			if len(s.Steps) == 0 {
				t.Error("no steps")
			}
			for i, step := range s.Steps {
				if step.Expect == nil {
					t.Errorf("step %d %q has no hand-written expectation", i+1, step.Name)
				}
			}
		})
	}
}

func requireTag(t *testing.T, s *scenarios.Scenario, tag string) {
	t.Helper()
	if !slices.Contains(s.Tags, tag) {
		t.Errorf("tags %v lack %q", s.Tags, tag)
	}
}

// checkSeedName holds a seed reference to the file-name shape and, where the
// seed documents are at hand, to a document that exists.
func checkSeedName(t *testing.T, field, name string) {
	t.Helper()
	if !seedFileName.MatchString(name) {
		t.Errorf("%s %q is not a seed document's file name", field, name)
		return
	}
	if _, err := os.Stat(filepath.Join(seedDir, name)); err != nil {
		t.Errorf("%s %q names no document in %s: %v", field, name, seedDir, err)
	}
}

// TestBuiltinAgreesWithOracle walks every scenario as the runner does and
// holds each step's hand-written expectation to the oracle, cell by cell,
// loopback included: the oracle computes loopback like any other cell, and so
// do the expectations.
func TestBuiltinAgreesWithOracle(t *testing.T) {
	for _, s := range mustBuiltin(t) {
		t.Run(s.Name, func(t *testing.T) {
			st, err := scenarios.NewState(s)
			if err != nil {
				t.Fatalf("model: %v", err)
			}
			for i, step := range s.Steps {
				for j, a := range step.Actions {
					change, err := st.Resolve(a)
					if err != nil {
						t.Fatalf("step %d %q action %d: resolve: %v", i+1, step.Name, j+1, err)
					}
					if err := st.Commit(change); err != nil {
						t.Fatalf("step %d %q action %d: commit: %v", i+1, step.Name, j+1, err)
					}
				}
				w := st.World()
				mismatches, cells := disagreements(t, step, w, truth.Compute(w))
				for _, m := range mismatches {
					t.Errorf("step %d %q: %s", i+1, step.Name, m)
				}
				if cells == 0 || cells > maxCellsPerStep {
					t.Errorf("step %d %q has %d cells, want 1 to %d", i+1, step.Name, cells, maxCellsPerStep)
				}
			}
		})
	}
}

// disagreements lists, one line each, the cells where a step's expectation
// and the oracle differ, with the oracle's account of why; cells counts the
// cells compared.
func disagreements(t *testing.T, step scenarios.Step, w *scenarios.World, table *truth.TruthTable) (out []string, cells int) {
	t.Helper()
	expected, err := scenarios.CompileExpectedCells(step.Expect, w)
	if err != nil {
		return []string{fmt.Sprintf("expectation does not compile: %v", err)}, 0
	}
	for c := range table.Cells() {
		cells++
		from := table.Endpoints[c.Source].ID
		target := table.Targets[c.Target]
		to := table.Endpoints[target.Endpoint].ID
		hand := expected(from, to, target.Port)
		if hand.Undefined == c.Undefined && (c.Undefined || hand.Allowed == c.Allowed) {
			continue
		}
		var why string
		if e, err := truth.Explain(w, from, to, target.Port.Port, target.Port.Protocol); err != nil {
			why = "explain: " + err.Error()
		} else {
			why = e.String()
		}
		out = append(out, fmt.Sprintf("%s -> %s %s: hand-written %s, oracle %s\n\t%s",
			from, to, target.Port, verdict(hand.Allowed, hand.Undefined), verdict(c.Allowed, c.Undefined), why))
	}
	return out, cells
}

func verdict(allowed, undefined bool) string {
	if undefined {
		return "undefined"
	}
	if allowed {
		return "allowed"
	}
	return "blocked"
}

// The scenarios that use experimental-channel fields are exactly those a
// standard-channel cluster would refuse, and they say which fields.
func TestExperimentalClusterPolicyFields(t *testing.T) {
	got := map[string][]string{}
	for _, s := range mustBuiltin(t) {
		if fields := s.ExperimentalClusterPolicyFields(); len(fields) > 0 {
			got[s.Name] = fields
		}
	}
	want := map[string][]string{
		"cnp-admin-allow-dns":         {"destinationNamedPort"},
		"cnp-networks-match-pods-too": {"domainNames"},
		"cnp-pod-subject-ports":       {"destinationNamedPort"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("experimental fields = %v, want %v", got, want)
	}
}
