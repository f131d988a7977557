package library

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"testing"

	networkingv1 "k8s.io/api/networking/v1"
)

// policyNameInSeed finds the name of every NetworkPolicy manifest in a seed
// document. The documents are scraped web pages: indentation is often lost
// and one example is folded onto a single line, so only the order of the
// keys is relied on.
var policyNameInSeed = regexp.MustCompile(`kind:\s*NetworkPolicy\s+metadata:\s+name:\s*([a-z0-9](?:[-a-z0-9.]*[a-z0-9])?)`)

func seedPolicyNames(text string) []string {
	var names []string
	for _, m := range policyNameInSeed.FindAllStringSubmatch(text, -1) {
		if !slices.Contains(names, m[1]) {
			names = append(names, m[1])
		}
	}
	return names
}

func TestSeedPolicyNames(t *testing.T) {
	tests := []struct {
		name, text string
		want       []string
	}{
		{"indented", "kind: NetworkPolicy  \nmetadata:  \n  name: default-deny  \n  namespace: my-namespace", []string{"default-deny"}},
		{"flattened", "kind: NetworkPolicy\nmetadata:\nname: allow-web\nspec:", []string{"allow-web"}},
		{"one line", "apiVersion: networking.k8s.io/v1 kind: NetworkPolicy metadata: name: allow-from-dev namespace: prod spec:", []string{"allow-from-dev"}},
		{"repeated name once", "kind: NetworkPolicy\nmetadata:\nname: deny-all\n---\nkind: NetworkPolicy\nmetadata:\nname: deny-all", []string{"deny-all"}},
		{"other kinds ignored", "kind: Pod\nmetadata:\nname: web-1\nkind: NetworkPolicy\nmetadata:\nname: b", []string{"b"}},
		{"fragment without kind", "namespaceSelector:\nmatchLabels:\nname: production", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := seedPolicyNames(tt.text); !slices.Equal(got, tt.want) {
				t.Errorf("seedPolicyNames = %q, want %q", got, tt.want)
			}
		})
	}
}

// TestEverySeedPolicyIsCovered holds the library to the seed documents: each
// NetworkPolicy example they name must be applied by some scenario whose
// source is that document.
func TestEverySeedPolicyIsCovered(t *testing.T) {
	docs, err := filepath.Glob(filepath.Join(seedDir, "*.txt"))
	if err != nil {
		t.Fatalf("list seeds: %v", err)
	}
	if len(docs) != 4 {
		// They travel with the tests: a missing one is a broken checkout.
		t.Fatalf("found %d seed documents in %s, want the 4 founding ones", len(docs), seedDir)
	}
	applied := map[string][]string{} // seed file -> policy names its scenarios apply
	for _, s := range mustBuiltin(t) {
		for _, step := range s.Steps {
			for _, a := range step.Actions {
				for _, p := range []*networkingv1.NetworkPolicy{a.Apply, a.Update} {
					if p != nil {
						applied[s.Source] = append(applied[s.Source], p.Name)
					}
				}
			}
		}
	}
	for _, doc := range docs {
		base := filepath.Base(doc)
		t.Run(base, func(t *testing.T) {
			text, err := os.ReadFile(doc)
			if err != nil {
				t.Fatalf("read: %v", err)
			}
			for _, name := range seedPolicyNames(string(text)) {
				if !slices.Contains(applied[base], name) {
					t.Errorf("policy %q of the document is applied by no scenario with source %s", name, base)
				}
			}
			if len(applied[base]) == 0 {
				t.Errorf("no scenario has source %s", base)
			}
		})
	}
}
