package scenarios

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestDocsExampleLoads keeps the complete example of docs/scenarios.md true:
// it must load, match the schema, and its expectations must hold on its worlds.
func TestDocsExampleLoads(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("..", "docs", "scenarios.md"))
	if err != nil {
		t.Fatal(err)
	}
	_, rest, found := strings.Cut(string(data), "```yaml\n")
	example, _, closed := strings.Cut(rest, "```")
	if !found || !closed {
		t.Fatal("docs/scenarios.md has no yaml example")
	}
	s := parseOne(t, example)
	js := loadSchema(t)
	if problems := js.validate(js.root, jsonDocuments(t, "example.yaml", []byte(example))[0], "$"); len(problems) > 0 {
		t.Errorf("example does not match the schema: %v", problems)
	}
	_, worlds := runSteps(t, s)
	allowed, err := CompileExpectation(s.Steps[2].Expect, worlds[2])
	if err != nil {
		t.Fatal(err)
	}
	got := []bool{allowed("y/a", "x/a", named("http", tcp(80))), allowed("y/a", "x/a", udp(81)), allowed("x/a", "y/a", tcp(80))}
	equalJSON(t, "cells", got, []bool{true, false, true})
	if cidr := worlds[2].Policies[0].Spec.Ingress[0].From[0].IPBlock; cidr.CIDR != "192.168.1.0/24" || cidr.Except[0] != "192.168.1.50/32" {
		t.Errorf("placeholders expanded to %v", cidr)
	}
}
