package kind

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

func TestNeedsDockerShim(t *testing.T) {
	tests := []struct {
		name    string
		status  string
		want    bool
		wantErr string
	}{
		{"this VM: every capability but CAP_SYS_RESOURCE", "Name:\tbash\nCapInh:\t0000000000000000\nCapBnd:\t000001fffeffffff\nCapAmb:\t0000000000000000\n", true, ""},
		{"full bounding set", "CapBnd:\t000001ffffffffff\n", false, ""},
		{"only CAP_SYS_RESOURCE", "CapBnd:\t0000000001000000\n", false, ""},
		{"empty bounding set", "CapBnd:\t0000000000000000\n", true, ""},
		{"no CapBnd line", "Name:\tbash\n", false, "no CapBnd line in the process status"},
		{"garbage", "CapBnd:\tzz\n", false, `parse CapBnd "zz": strconv.ParseUint: parsing "zz": invalid syntax`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := NeedsDockerShim(strings.NewReader(tt.status))
			if tt.wantErr != "" {
				if err == nil || err.Error() != tt.wantErr {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("NeedsDockerShim = %v, %v; want %v, nil", got, err, tt.want)
			}
		})
	}
}

// TestDockerShimRewrites runs the shim against a fake docker that prints its
// arguments one per line.
func TestDockerShimRewrites(t *testing.T) {
	if _, err := exec.LookPath("bash"); err != nil {
		t.Skip("the shim is a bash script and bash is missing")
	}
	dir := t.TempDir()
	fake := filepath.Join(dir, "real-docker")
	if err := os.WriteFile(fake, []byte("#!/bin/sh\nfor a in \"$@\"; do echo \"$a\"; done\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	shim := filepath.Join(dir, "docker")
	if err := os.WriteFile(shim, []byte(strings.Replace(dockerShim, "@REAL_DOCKER@", fake, 1)), 0o755); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		args []string
		want []string
	}{
		{"run --privileged", []string{"run", "--name", "n", "--privileged", "img"},
			[]string{"run", "--name", "n", "--cap-add=ALL", "--cap-drop=SYS_RESOURCE", "--security-opt=systempaths=unconfined",
				"--device-cgroup-rule=a *:* rwm", "-e", "KIND_REMOUNT_RW=1", "img"}},
		{"create --privileged", []string{"create", "--privileged", "img"},
			[]string{"create", "--cap-add=ALL", "--cap-drop=SYS_RESOURCE", "--security-opt=systempaths=unconfined",
				"--device-cgroup-rule=a *:* rwm", "-e", "KIND_REMOUNT_RW=1", "img"}},
		{"run without --privileged", []string{"run", "-d", "img", "sleep", "1"}, []string{"run", "-d", "img", "sleep", "1"}},
		{"exec --privileged", []string{"exec", "--privileged", "-i", "node", "ctr"}, []string{"exec", "-i", "node", "ctr"}},
		{"other commands untouched", []string{"inspect", "--privileged"}, []string{"inspect", "--privileged"}},
		{"arguments with spaces", []string{"exec", "node", "sh", "-c", "echo a  b"}, []string{"exec", "node", "sh", "-c", "echo a  b"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := exec.Command(shim, tt.args...).Output()
			if err != nil {
				t.Fatal(err)
			}
			got := strings.Split(strings.TrimSuffix(string(out), "\n"), "\n")
			if strings.Join(got, "|") != strings.Join(tt.want, "|") {
				t.Fatalf("real docker got\n%q\nwant\n%q", got, tt.want)
			}
		})
	}
}
