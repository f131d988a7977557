package local

import (
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

func TestRegistry(t *testing.T) {
	p := paths{RegistryDir: filepath.Join(t.TempDir(), "reg")}
	r, err := register(p, "abc123")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := register(p, "abc123"); !errors.Is(err, fs.ErrExist) {
		t.Fatalf("second register error = %v, want ErrExist", err)
	}
	for _, step := range []struct {
		op   func(string) error
		name string
		want []string
	}{
		{r.add, "npc-abc123-0-node", []string{"npc-abc123-0-node"}},
		{r.add, "npc-abc123-0-0", []string{"npc-abc123-0-node", "npc-abc123-0-0"}},
		{r.remove, "npc-abc123-0-node", []string{"npc-abc123-0-0"}},
	} {
		if err := step.op(step.name); err != nil {
			t.Fatal(err)
		}
		var got registration
		data, err := os.ReadFile(p.registration("abc123"))
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(data, &got); err != nil {
			t.Fatal(err)
		}
		if got.RunID != "abc123" || got.PID != os.Getpid() || !runAlive(got) || !reflect.DeepEqual(got.Namespaces, step.want) {
			t.Errorf("registration = %+v, want run abc123, this live process, namespaces %v", got, step.want)
		}
	}
	if err := os.WriteFile(filepath.Join(p.RegistryDir, "dead01.json"), []byte("{not json"), 0o644); err != nil {
		t.Fatal(err)
	}
	regs, err := readRegistrations(p.RegistryDir)
	if err != nil {
		t.Fatal(err)
	}
	if len(regs) != 2 || regs["dead01"].PID != 0 || regs["dead01"].RunID != "dead01" || !runAlive(regs["abc123"]) {
		t.Errorf("registrations = %+v, want live abc123 and unparsed dead01", regs)
	}
	if err := r.unregister(); err != nil {
		t.Fatal(err)
	}
	if err := r.unregister(); err != nil {
		t.Fatalf("second unregister: %v", err)
	}
	if _, err := os.Stat(p.registration("abc123")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("registration still there after unregister: %v", err)
	}
}
