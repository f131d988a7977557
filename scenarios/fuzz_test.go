package scenarios

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// addTestdataSeeds seeds a fuzz target with every testdata file whose
// content is or is not a manifest, as wanted.
func addTestdataSeeds(f *testing.F, manifests bool) {
	f.Helper()
	files, err := filepath.Glob(filepath.Join("testdata", "*", "*.*"))
	if err != nil {
		f.Fatal(err)
	}
	more, _ := filepath.Glob(filepath.Join("testdata", "valid", "manifests", "*.yaml"))
	for _, file := range append(files, more...) {
		if filepath.Ext(file) == ".err" {
			continue
		}
		data, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		if strings.Contains(string(data), "apiVersion:") == manifests {
			f.Add(data)
		}
	}
}

func FuzzParse(f *testing.F) {
	addTestdataSeeds(f, false)
	f.Fuzz(func(t *testing.T, data []byte) {
		ss, err := Parse("fuzz.yaml", data)
		if err != nil {
			var ie *InputError
			if !errors.As(err, &ie) {
				t.Fatalf("error is not an InputError: %T %v", err, err)
			}
			return
		}
		for _, s := range ss {
			if err := s.Validate(); err != nil {
				t.Fatalf("Parse accepted %q but Validate says %v", s.Name, err)
			}
		}
	})
}

func FuzzParseManifests(f *testing.F) {
	addTestdataSeeds(f, true)
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := ParseManifests("fuzz", map[string][]byte{"fuzz.yaml": data})
		if err != nil {
			var ie *InputError
			if !errors.As(err, &ie) {
				t.Fatalf("error is not an InputError: %T %v", err, err)
			}
			return
		}
		if err := s.Validate(); err != nil {
			t.Fatalf("ParseManifests accepted a scenario that Validate refuses: %v", err)
		}
	})
}
