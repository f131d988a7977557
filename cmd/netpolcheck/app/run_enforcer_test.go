package app

import (
	"strings"
	"testing"
)

// A timing given as zero reads as "none", not "default": refused.
func TestTimingFlagsZeroIsBadInput(t *testing.T) {
	for _, args := range [][]string{
		{"run", "--converge", "0s"},
		{"run", "--probe-timeout", "-1s"},
		{"certify", "--probe-timeout", "0"},
		{"certify", "--parallel", "0"},
	} {
		_, stderr, code := run(t, args...)
		if code != ExitBadInput || !strings.Contains(stderr, "must be") {
			t.Errorf("%v: exit %d, stderr %q; want 2 and what it must be", args, code, stderr)
		}
	}
}

func TestRunRejectsUnknownEnforcer(t *testing.T) {
	_, stderr, code := run(t, "run", "--enforcer", "iptables", "--focus", "^upstream-pod-selector$")
	if code != ExitBadInput {
		t.Errorf("exit %d, want %d; stderr: %s", code, ExitBadInput, stderr)
	}
	if want := `--enforcer "iptables": not one of reference, none`; !strings.Contains(stderr, want) {
		t.Errorf("stderr %q does not say %q", stderr, want)
	}
}
