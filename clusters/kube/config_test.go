package kube

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const twoContexts = `apiVersion: v1
kind: Config
clusters:
- name: one
  cluster: {server: "https://127.0.0.1:6443"}
- name: two
  cluster: {server: "https://127.0.0.2:6443"}
users:
- name: u
  user: {token: secret}
contexts:
- name: ctx-one
  context: {cluster: one, user: u}
- name: ctx-two
  context: {cluster: two, user: u}
current-context: ctx-one
`

func TestLoadConfig(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "config")
	if err := os.WriteFile(path, []byte(twoContexts), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, kubeconfig, env, context string
		wantHost, wantErr              string
	}{
		{name: "explicit file, current context", kubeconfig: path, wantHost: "https://127.0.0.1:6443"},
		{name: "explicit file, --context", kubeconfig: path, context: "ctx-two", wantHost: "https://127.0.0.2:6443"},
		{name: "KUBECONFIG", env: path, context: "ctx-two", wantHost: "https://127.0.0.2:6443"},
		{name: "unknown context", kubeconfig: path, context: "nope", wantErr: `load kubeconfig: context "nope" does not exist`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("KUBECONFIG", tt.env)
			t.Setenv("HOME", dir) // no ~/.kube/config of the machine leaks in
			cfg, err := LoadConfig(tt.kubeconfig, tt.context)
			if tt.wantErr != "" {
				if err == nil || !strings.HasPrefix(err.Error(), tt.wantErr) {
					t.Errorf("LoadConfig error %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if cfg.Host != tt.wantHost || cfg.BearerToken != "secret" {
				t.Errorf("host %q token %q, want %q and the user's token", cfg.Host, cfg.BearerToken, tt.wantHost)
			}
		})
	}
}

func TestConnectRaisesClientLimits(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "config")
	if err := os.WriteFile(path, []byte(twoContexts), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := LoadConfig(path, "")
	if err != nil {
		t.Fatal(err)
	}
	client, exec, err := Connect(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if client == nil || exec == nil {
		t.Fatal("Connect returned no client or executor")
	}
	if cfg.QPS != 0 {
		t.Error("Connect changed the caller's config")
	}
	if got := exec.(*apiExecutor).config; got.QPS != clientQPS || got.Burst != clientBurst {
		t.Errorf("executor config QPS %v burst %d, want %d and %d", got.QPS, got.Burst, clientQPS, clientBurst)
	}
}
