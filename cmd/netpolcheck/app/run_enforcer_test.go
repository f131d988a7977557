package app

import (
	"strings"
	"testing"
	"time"
)

func TestDefaultProbeTimeout(t *testing.T) {
	tests := []struct {
		cluster string
		want    time.Duration
	}{
		{"local", 250 * time.Millisecond},
		{"kube", time.Second},
	}
	for _, tt := range tests {
		if got := defaultProbeTimeout(tt.cluster); got != tt.want {
			t.Errorf("defaultProbeTimeout(%q) = %v, want %v", tt.cluster, got, tt.want)
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
