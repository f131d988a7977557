package clusters

import (
	"regexp"
	"testing"
)

func TestValidateRunID(t *testing.T) {
	tests := []struct {
		id, err string
	}{
		{"a1b2c3", ""},
		{"abcdefghijkl", ""},
		{"", `run ID "" must have 1 to 12 characters`},
		{"abcdefghijklm", `run ID "abcdefghijklm" must have 1 to 12 characters`},
		{"A1", `run ID "A1" may hold only lower-case letters and digits`},
		{"a-b", `run ID "a-b" may hold only lower-case letters and digits`},
	}
	for _, tt := range tests {
		got := ""
		if err := ValidateRunID(tt.id); err != nil {
			got = err.Error()
		}
		if got != tt.err {
			t.Errorf("ValidateRunID(%q) = %q, want %q", tt.id, got, tt.err)
		}
	}
}

func TestRandomRunID(t *testing.T) {
	seen := map[string]bool{}
	for range 20 {
		id, err := RandomRunID()
		if err != nil {
			t.Fatal(err)
		}
		if !regexp.MustCompile(`^[0-9a-f]{6}$`).MatchString(id) {
			t.Fatalf("run ID %q is not six hex characters", id)
		}
		if err := ValidateRunID(id); err != nil {
			t.Fatalf("random run ID rejected: %v", err)
		}
		seen[id] = true
	}
	if len(seen) < 19 {
		t.Errorf("20 random run IDs gave only %d distinct ones", len(seen))
	}
}
