package library

import (
	"os"
	"slices"
	"strings"
	"testing"
)

// libraryDoc is docs/library.md, the table of every built-in scenario.
const libraryDoc = "../../docs/library.md"

// docRows reads the first column of every table row of a markdown text,
// skipping the header and its separator.
func docRows(text string) []string {
	var names []string
	for line := range strings.SplitSeq(text, "\n") {
		if !strings.HasPrefix(line, "| ") {
			continue
		}
		name := strings.TrimSpace(strings.Split(line, "|")[1])
		if name == "name" || strings.HasPrefix(name, "---") {
			continue
		}
		names = append(names, name)
	}
	return names
}

func TestDocRows(t *testing.T) {
	tests := []struct {
		name, text string
		want       []string
	}{
		{"table", "# t\n\n| name | source |\n|---|---|\n| a | s |\n| b | s |\n", []string{"a", "b"}},
		{"prose only", "a | b\n", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := docRows(tt.text); !slices.Equal(got, tt.want) {
				t.Errorf("docRows = %q, want %q", got, tt.want)
			}
		})
	}
}

// TestLibraryDocListsEveryScenario keeps docs/library.md in step with the
// files: one row per scenario, in name order, and nothing else.
func TestLibraryDocListsEveryScenario(t *testing.T) {
	text, err := os.ReadFile(libraryDoc)
	if err != nil {
		t.Fatalf("read %s: %v", libraryDoc, err)
	}
	var want []string
	for _, s := range mustBuiltin(t) {
		want = append(want, s.Name)
	}
	if got := docRows(string(text)); !slices.Equal(got, want) {
		t.Errorf("%s rows:\n%q\nwant the scenarios in name order:\n%q", libraryDoc, got, want)
	}
}
