package kube

import (
	"strings"
	"testing"
)

func TestRealNamespaceNames(t *testing.T) {
	long := strings.Repeat("n", 63)
	tests := []struct {
		name, want string
	}{
		{"x", "npc-1a2b3c-4-x"},
		{"team-blue", "npc-1a2b3c-4-team-blue"},
		// 13 characters of prefix leave 50 for the name as it is.
		{strings.Repeat("n", 50), "npc-1a2b3c-4-" + strings.Repeat("n", 50)},
		// Longer names keep 41 characters and add "-" and 8 hex of FNV-1a.
		{strings.Repeat("n", 51), "npc-1a2b3c-4-" + strings.Repeat("n", 41) + "-419f5719"},
		{long, "npc-1a2b3c-4-" + strings.Repeat("n", 41) + "-8213b529"},
	}
	m := newNamespaceNames("1a2b3c", 4)
	for _, tt := range tests {
		got := m.real(tt.name)
		if got != tt.want {
			t.Errorf("real(%q) = %q, want %q", tt.name, got, tt.want)
		}
		if len(got) > 63 {
			t.Errorf("real(%q) has %d characters, more than a namespace may", tt.name, len(got))
		}
		back, ok := m.scenario(got)
		if !ok || back != tt.name {
			t.Errorf("scenario(%q) = %q, %v; want %q, true", got, back, ok, tt.name)
		}
	}
	if _, ok := m.scenario("npc-1a2b3c-4-never-named"); ok {
		t.Error("scenario() knows a name real() never gave")
	}
	if other := newNamespaceNames("1a2b3c", 5).real("x"); other != "npc-1a2b3c-5-x" {
		t.Errorf("cluster 5 names x %q, want npc-1a2b3c-5-x", other)
	}
}

func TestRealValueLeavesImpossibleNames(t *testing.T) {
	m := newNamespaceNames("r1", 0)
	tests := map[string]string{
		"y":         "npc-r1-0-y",
		"Y":         "Y", // no namespace can be named so, in either world
		"a.b":       "a.b",
		"":          "",
		"kube-dns-": "kube-dns-",
	}
	for in, want := range tests {
		if got := m.realValue(in); got != want {
			t.Errorf("realValue(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestCheckLabelsRefusesReservedKeys(t *testing.T) {
	if err := checkLabels("pod x/a", map[string]string{"app": "web", "netpolcheck.io-other/x": "1"}); err != nil {
		t.Errorf("ordinary labels refused: %v", err)
	}
	err := checkLabels("namespace x", map[string]string{"netpolcheck.io/run": "forged"})
	if got, want := errText(err), "namespace x: label netpolcheck.io/run is reserved for netpolcheck"; got != want {
		t.Errorf("checkLabels = %q, want %q", got, want)
	}
}

func TestSplitPodID(t *testing.T) {
	ns, name, err := splitPodID("x/a")
	if ns != "x" || name != "a" || err != nil {
		t.Errorf("splitPodID(x/a) = %q, %q, %v", ns, name, err)
	}
	for _, bad := range []string{"x", "/a", "x/", ""} {
		if _, _, err := splitPodID(bad); errText(err) != `pod "`+bad+`" is not ns/pod` {
			t.Errorf("splitPodID(%q) error = %v", bad, err)
		}
	}
}

func errText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}
