package probes

import (
	"slices"
	"testing"
)

func TestParseTargets(t *testing.T) {
	tests := []struct {
		names []string
		want  []Target
		err   string
	}{
		{[]string{"pod"}, []Target{TargetPod}, ""},
		{[]string{"service", " pod"}, []Target{TargetService, TargetPod}, ""},
		{[]string{"dns", "service"}, []Target{TargetDNS, TargetService}, ""},
		{[]string{"node"}, nil, `"node": not one of pod, service, dns`},
		{[]string{"pod", "pod"}, nil, `"pod" given twice`},
		{nil, nil, "give at least one of pod, service, dns"},
	}
	for _, tt := range tests {
		got, err := ParseTargets(tt.names)
		if tt.err != "" {
			if err == nil || err.Error() != tt.err {
				t.Errorf("ParseTargets(%q) error %v, want %q", tt.names, err, tt.err)
			}
			continue
		}
		if err != nil || !slices.Equal(got, tt.want) {
			t.Errorf("ParseTargets(%q) = %v, %v; want %v", tt.names, got, err, tt.want)
		}
	}
	if Target("").OrPod() != TargetPod || TargetService.OrPod() != TargetService {
		t.Error("OrPod: the empty target is the pod IP, any other is itself")
	}
}
