package local

import "testing"

func TestRunOfNetns(t *testing.T) {
	tests := []struct {
		name    string
		run     string
		ourName bool
	}{
		{"npc-1a2b3c-0-node", "1a2b3c", true},
		{"npc-1a2b3c-12-7", "1a2b3c", true},
		{"npc-run1-0-0", "run1", true},
		{"npc-1a2b3c", "", false},
		{"npc--0-node", "", false},
		{"npc-UPPER-0-node", "", false},
		{"cni-1234", "", false},
		{"npc", "", false},
	}
	for _, tt := range tests {
		run, ok := runOfNetns(tt.name)
		if run != tt.run || ok != tt.ourName {
			t.Errorf("runOfNetns(%q) = %q, %v; want %q, %v", tt.name, run, ok, tt.run, tt.ourName)
		}
	}
}

func TestPaths(t *testing.T) {
	p := paths{NetnsDir: "/n", RegistryDir: "/r", PinRoot: "/b"}
	got := []string{
		clusterPrefix("abc123", 4),
		p.netns("npc-abc123-4-node"),
		p.registration("abc123"),
		p.pinDir("abc123"),
		p.clusterPinDir("abc123", 4),
	}
	want := []string{"npc-abc123-4", "/n/npc-abc123-4-node", "/r/abc123.json", "/b/abc123", "/b/abc123/4"}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("path %d = %q, want %q", i, got[i], want[i])
		}
	}
}
