package generate

import (
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/netpolcheck/netpolcheck/scenarios"
)

// TestWriteFilesRoundTrip writes every case of both profiles and loads them
// back with scenarios.LoadPaths: the same cases come back.
func TestWriteFilesRoundTrip(t *testing.T) {
	for _, p := range Profiles() {
		t.Run(string(p), func(t *testing.T) {
			if p == Full && testing.Short() {
				t.Skip("-short: the full round trip writes and loads 7,944 files")
			}
			cases := profileCases(t, p)
			dir := t.TempDir()
			if err := WriteFiles(dir, cases); err != nil {
				t.Fatal(err)
			}
			loaded, err := scenarios.LoadPaths([]string{dir})
			if err != nil {
				t.Fatal(err)
			}
			if len(loaded) != len(cases) {
				t.Fatalf("loaded %d cases, wrote %d", len(loaded), len(cases))
			}
			byName := map[string]*scenarios.Scenario{}
			for _, s := range loaded {
				if want := filepath.Join(dir, s.Name+".yaml"); s.File != want {
					t.Errorf("%s was loaded from %s, want %s", s.Name, s.File, want)
				}
				byName[s.Name] = s
			}
			for _, want := range cases {
				got := byName[want.Name]
				if got == nil {
					t.Errorf("%s did not come back", want.Name)
					continue
				}
				back := *got
				back.File = ""
				if !reflect.DeepEqual(&back, want) {
					t.Errorf("%s changed on the way through YAML", want.Name)
				}
			}
		})
	}
}

func TestWriteFilesRemovesOnlyItsStaleFiles(t *testing.T) {
	dir := t.TempDir()
	files := map[string]string{
		"gen-stale.yaml":     fileHeader + "name: gen-stale\n",
		"mine.yaml":          "# my own case\nname: mine\n",
		"empty.yaml":         "",
		"notes.txt":          fileHeader,
		"gen-no-header.yaml": "name: gen-no-header\n",
	}
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	cases := profileCases(t, Quick)[:2]
	if err := WriteFiles(dir, cases); err != nil {
		t.Fatal(err)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range entries {
		got = append(got, e.Name())
	}
	want := []string{"empty.yaml", "gen-ingress-all-ns-same-anyport-tcp-delete.yaml",
		"gen-ingress-all-pod-same-named-sctp-create.yaml", "gen-no-header.yaml", "mine.yaml", "notes.txt"}
	if !slices.Equal(got, want) {
		t.Errorf("files after WriteFiles = %v, want %v", got, want)
	}
	data, err := os.ReadFile(filepath.Join(dir, want[2]))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(data), fileHeader+"description: ") {
		t.Errorf("a written file starts with %q", string(data[:min(len(data), 120)]))
	}
}

func TestWriteFilesRefusesBadCases(t *testing.T) {
	named := func(names ...string) []*scenarios.Scenario {
		var out []*scenarios.Scenario
		for _, n := range names {
			out = append(out, &scenarios.Scenario{Name: n})
		}
		return out
	}
	tests := []struct {
		name  string
		cases []*scenarios.Scenario
		want  string
	}{
		{"nil case", []*scenarios.Scenario{nil}, "write generated cases: nil case"},
		{"empty name", named(""), `write generated cases: case name "" cannot be a file name`},
		{"path in name", named("../escape"), `write generated cases: case name "../escape" cannot be a file name`},
		{"hidden name", named(".hidden"), `write generated cases: case name ".hidden" cannot be a file name`},
		{"backslash", named(`a\b`), `write generated cases: case name "a\\b" cannot be a file name`},
		{"same name twice", named("gen-a", "gen-a"), `write generated cases: two cases are named "gen-a"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := WriteFiles(t.TempDir(), tt.cases)
			if err == nil || err.Error() != tt.want {
				t.Errorf("WriteFiles = %v, want %q", err, tt.want)
			}
		})
	}
}

func TestWriteFilesReportsAnUnusableDirectory(t *testing.T) {
	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	err := WriteFiles(filepath.Join(file, "sub"), profileCases(t, Quick)[:1])
	if err == nil || !strings.HasPrefix(err.Error(), "write generated cases: mkdir ") {
		t.Errorf("WriteFiles under a file = %v, want a mkdir error", err)
	}
}
