package kind

import "testing"

func TestIsNoSuchNetwork(t *testing.T) {
	tests := []struct {
		output string
		want   bool
	}{
		{"Error response from daemon: network netpolcheck-kind not found\n", true},
		{"Error: No such network: netpolcheck-kind\n", true},
		{"Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?\n", false},
		{"", false},
	}
	for _, tt := range tests {
		if got := isNoSuchNetwork(tt.output); got != tt.want {
			t.Errorf("isNoSuchNetwork(%q) = %v, want %v", tt.output, got, tt.want)
		}
	}
}
