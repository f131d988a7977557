package main

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/netpolcheck/netpolcheck/enforcer/datapath"
)

func envOf(vars map[string]string) func(string) string {
	return func(k string) string { return vars[k] }
}

func TestParseFlags(t *testing.T) {
	tests := []struct {
		name string
		args []string
		env  map[string]string
		want config
	}{
		{"defaults with the node from the downward API", nil, map[string]string{"NODE_NAME": "n1"},
			config{nodeName: "n1", pinRoot: datapath.DefaultPinRoot, listen: ":9090"}},
		{"flags win over the environment",
			[]string{"--node-name", "n2", "--kubeconfig", "/k", "--pin-root", "/p", "--listen", "127.0.0.1:1", "--host-netns", "/run/netns/node"},
			map[string]string{"NODE_NAME": "n1"},
			config{nodeName: "n2", kubeconfig: "/k", pinRoot: "/p", listen: "127.0.0.1:1", hostNetNS: "/run/netns/node"}},
		{"uninstall needs no node", []string{"--uninstall"}, nil,
			config{pinRoot: datapath.DefaultPinRoot, listen: ":9090", uninstall: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stderr bytes.Buffer
			got, err := parseFlags(tt.args, envOf(tt.env), &stderr)
			if err != nil {
				t.Fatalf("parseFlags: %v (%s)", err, stderr.String())
			}
			if got != tt.want {
				t.Errorf("parseFlags = %+v, want %+v", got, tt.want)
			}
		})
	}
}

// Bad command lines exit 2 before anything is opened or contacted.
func TestRunRejectsBadFlags(t *testing.T) {
	tests := []struct {
		name   string
		args   []string
		env    map[string]string
		stderr string // the line that names the problem
	}{
		{"no node name", nil, nil, "enforcer: no node name: set --node-name or NODE_NAME\n"},
		{"unknown flag", []string{"--bogus"}, nil, "flag provided but not defined: -bogus\n"},
		{"argument", []string{"--node-name", "n", "extra"}, nil, "enforcer: unexpected argument \"extra\"\n"},
		{"listen without a port", []string{"--listen", "9090"}, map[string]string{"NODE_NAME": "n"},
			"enforcer: --listen \"9090\": address 9090: missing port in address\n"},
		{"empty pin root", []string{"--pin-root", "", "--uninstall"}, nil, "enforcer: --pin-root is empty\n"},
		{"flag without its value", []string{"--node-name"}, nil, "flag needs an argument: -node-name\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stderr bytes.Buffer
			code := exitStatus(run(context.Background(), tt.args, envOf(tt.env), &stderr), &stderr)
			if code != exitUsage {
				t.Errorf("exit status %d, want %d", code, exitUsage)
			}
			if first, _, _ := strings.Cut(stderr.String(), "\n"); first+"\n" != tt.stderr {
				t.Errorf("stderr starts %q, want %q", first+"\n", tt.stderr)
			}
		})
	}
}

func TestHelpExitsZero(t *testing.T) {
	var stderr bytes.Buffer
	if code := exitStatus(run(context.Background(), []string{"-h"}, envOf(nil), &stderr), &stderr); code != 0 {
		t.Errorf("exit status %d, want 0", code)
	}
	if !strings.HasPrefix(stderr.String(), usage) || !strings.Contains(stderr.String(), "-uninstall") {
		t.Errorf("help text:\n%s", stderr.String())
	}
}
