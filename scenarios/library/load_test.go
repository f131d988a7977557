package library

import (
	"strings"
	"testing"
	"testing/fstest"
)

// scenarioFile is a minimal valid scenario file named name.
func scenarioFile(name string) *fstest.MapFile {
	return &fstest.MapFile{Data: []byte(`name: ` + name + `
source: upstream-e2e
tags: [ingress]
model:
  defaultPorts: [{port: 80, protocol: TCP}]
  namespaces:
  - name: x
    pods: [{name: a}]
steps:
- name: nothing
  expect: {default: allow}
`)}
}

func TestLoad(t *testing.T) {
	tests := []struct {
		name      string
		fsys      fstest.MapFS
		wantNames []string
		wantErr   string
	}{
		{
			name:      "sorted by name across directories",
			fsys:      fstest.MapFS{"upstream/b.yaml": scenarioFile("b"), "seeds/c.yaml": scenarioFile("c"), "pitfalls/a.yaml": scenarioFile("a")},
			wantNames: []string{"a", "b", "c"},
		},
		{
			name:      "files outside a directory are not part of the library",
			fsys:      fstest.MapFS{"top.yaml": scenarioFile("top"), "seeds/a.yaml": scenarioFile("a"), "seeds/notes.txt": {Data: []byte("x")}},
			wantNames: []string{"a"},
		},
		{
			name:    "empty library",
			fsys:    fstest.MapFS{},
			wantErr: "no scenario files in the library",
		},
		{
			name:    "same name in two files",
			fsys:    fstest.MapFS{"seeds/a.yaml": scenarioFile("same"), "upstream/b.yaml": scenarioFile("same")},
			wantErr: `library/upstream/b.yaml: scenario name "same" is already used by library/seeds/a.yaml`,
		},
		{
			name:    "two scenarios in one file",
			fsys:    fstest.MapFS{"seeds/a.yaml": {Data: append(append(scenarioFile("one").Data, "---\n"...), scenarioFile("two").Data...)}},
			wantErr: "library/seeds/a.yaml: holds 2 scenarios, the library wants exactly one per file",
		},
		{
			name:    "invalid file names the file",
			fsys:    fstest.MapFS{"seeds/bad.yaml": {Data: []byte("name: [unclosed\n")}},
			wantErr: "library/seeds/bad.yaml",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := load(tt.fsys)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("load error = %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("load: %v", err)
			}
			var names []string
			for _, s := range got {
				names = append(names, s.Name)
				if want := filePrefix; !strings.HasPrefix(s.File, want) {
					t.Errorf("%s: File %q lacks the %q prefix", s.Name, s.File, want)
				}
			}
			if strings.Join(names, ",") != strings.Join(tt.wantNames, ",") {
				t.Errorf("names = %q, want %q", names, tt.wantNames)
			}
		})
	}
}
