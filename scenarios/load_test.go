package scenarios

import (
	"os"
	"path/filepath"
	"testing"
)

// writeTree writes files under a temporary directory and returns it.
func writeTree(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, body := range files {
		path := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestLoadPathsMixesScenariosAndManifests(t *testing.T) {
	dir := writeTree(t, map[string]string{
		"b/two.yml":        "name: two\nmodel: {namespaces: [{name: x}]}\nsteps: [{name: s}]\n",
		"a/one.yaml":       "name: one\nmodel: {namespaces: [{name: x}]}\nsteps: [{name: s}]\n---\napiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec: {containers: [{name: c, image: i}]}\n",
		"c/pol.json":       `{"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy", "metadata": {"name": "deny"}, "spec": {"podSelector": {}}}`,
		"c/notes.txt":      "not read: wrong extension",
		".hidden/bad.yaml": "not: [valid",
	})
	extra := filepath.Join(dir, "extra.yaml")
	if err := os.WriteFile(extra, []byte("apiVersion: v1\nkind: Pod\nmetadata: {name: q}\nspec: {containers: [{name: c, image: i}]}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	ss, err := LoadPaths([]string{filepath.Join(dir, "b"), dir, filepath.Join(dir, "b", "two.yml")})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, s := range ss {
		got = append(got, s.Name)
	}
	// b/two.yml is read once; the manifests are named after the first path holding any (dir).
	equalJSON(t, "scenarios", got, []string{"two", "one", filepath.Base(dir)})
	m := ss[2]
	equalJSON(t, "manifest pods", m.Model.Namespaces[0].Pods, []PodSpec{{Name: "p"}, {Name: "q"}})
	if m.File != dir || len(m.Steps[0].Actions) != 1 || m.Steps[0].Actions[0].Apply.Namespace != "default" {
		t.Errorf("manifest scenario file %q, actions %d", m.File, len(m.Steps[0].Actions))
	}
}

func TestLoadPathsErrors(t *testing.T) {
	dir := writeTree(t, map[string]string{
		"a.yaml":     "name: same\nmodel: {namespaces: []}\nsteps: [{name: s}]\n",
		"b.yaml":     "\n\nname: same\nmodel: {namespaces: []}\nsteps: [{name: s}]\n",
		"empty/x.md": "nothing to load",
	})
	tests := []struct {
		name  string
		paths []string
		want  string
	}{
		{"no paths", nil, "no scenario files given"},
		{"missing path", []string{filepath.Join(dir, "nope.yaml")}, filepath.Join(dir, "nope.yaml") + ": cannot read: no such file or directory"},
		{"directory without scenarios", []string{filepath.Join(dir, "empty")}, filepath.Join(dir, "empty") + ": no scenario files (*.yaml, *.yml, *.json) found"},
		{"duplicate scenario names", []string{dir}, filepath.Join(dir, "b.yaml") + `:3: name: duplicate scenario name "same" (first in ` + filepath.Join(dir, "a.yaml") + ":1)"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := LoadPaths(tc.paths)
			if err == nil || err.Error() != tc.want {
				t.Errorf("error\n got: %v\nwant: %s", err, tc.want)
			}
		})
	}
}

func TestParseManifests(t *testing.T) {
	s, err := ParseManifests("shop", map[string][]byte{
		"2.yaml": []byte("apiVersion: v1\nkind: Pod\nmetadata: {name: web, namespace: shop, labels: {app: web}}\nspec: {containers: [{name: c, image: i, ports: [{containerPort: 80, name: http}]}]}\nstatus: {podIP: 192.168.1.20}\n"),
		"1.yaml": []byte(`apiVersion: v1
kind: Namespace
metadata: {name: shop, labels: {kubernetes.io/metadata.name: shop}}
`),
	})
	if err != nil {
		t.Fatal(err)
	}
	equalJSON(t, "scenario", s, &Scenario{
		Name: "shop", File: "1.yaml",
		// The pod carries an address in 192.168.0.0/16, so planned ones come from elsewhere.
		Model: Model{PodCIDR: "172.16.0.0/16", Namespaces: []NamespaceSpec{
			{Name: "default"},
			{Name: "shop", Labels: labels(NamespaceNameLabel, "shop"), Pods: []PodSpec{{Name: "web", Labels: labels("app", "web"), Ports: []Port{named("http", tcp(80))}, IP: "192.168.1.20"}}},
		}},
		Steps: []Step{{Name: ManifestStepName}},
	})

	tests := []struct {
		name  string
		files map[string][]byte
		want  string
	}{
		{"nothing", map[string][]byte{}, "no manifests given"},
		{"a scenario among manifests", map[string][]byte{"s.yaml": []byte("name: s\n")}, "s.yaml:1: not a Kubernetes manifest: apiVersion and kind are required"},
		{"duplicate namespace", map[string][]byte{"n.yaml": []byte("apiVersion: v1\nkind: Namespace\nmetadata: {name: a}\n---\napiVersion: v1\nkind: Namespace\nmetadata:\n  name: a\n")},
			`n.yaml:8: metadata.name: duplicate Namespace "a"`},
		{"duplicate pod across files", map[string][]byte{
			"a.yaml": []byte("apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec: {containers: [{name: c, image: i}]}\n"),
			"b.yaml": []byte("apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: default}\nspec: {containers: [{name: c, image: i}]}\n")},
			`b.yaml:3: metadata.name: duplicate Pod "default/p"`},
		{"namespace without a name", map[string][]byte{"n.yaml": []byte("apiVersion: v1\nkind: Namespace\nmetadata: {labels: {a: b}}\n")},
			"n.yaml:3: metadata.name: required"},
		{"policy label error maps to its file", map[string][]byte{"p.yaml": []byte("apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: p}\nspec:\n  podSelector:\n    matchLabels:\n      ok: fine\n      bad key: x\n")},
			`p.yaml:8: spec.podSelector.matchLabels: invalid label key "bad key": name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character`},
		{"duplicate port across containers", map[string][]byte{"p.yaml": []byte("apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n    - {name: a, image: i, ports: [{containerPort: 80}]}\n    - {name: b, image: i, ports: [{containerPort: 80}]}\n")},
			"p.yaml:7: spec.containers[1].ports[0]: duplicate port 80/TCP"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseManifests("m", tc.files)
			if err == nil || err.Error() != tc.want {
				t.Errorf("error\n got: %v\nwant: %s", err, tc.want)
			}
		})
	}
}

func TestParseWithManifestDocuments(t *testing.T) {
	ss, err := Parse("dir/mixed.yaml", []byte("name: s\nmodel: {namespaces: [{name: x}]}\nsteps: [{name: s}]\n---\n"+
		"apiVersion: v1\nkind: Namespace\nmetadata: {name: x}\n"))
	if err != nil {
		t.Fatal(err)
	}
	got := []string{ss[0].Name, ss[1].Name, ss[1].File, ss[1].Model.Namespaces[1].Name}
	equalJSON(t, "scenarios", got, []string{"s", "mixed", "dir/mixed.yaml", "x"})
}
