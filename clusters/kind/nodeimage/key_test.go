package nodeimage

import (
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"testing"
)

func TestKeyBuilder(t *testing.T) {
	base := NewKeyBuilder().String("a", "1").String("b", "2").Sum()
	tests := []struct {
		name string
		key  Key
		same bool
	}{
		{"same inputs in another order", NewKeyBuilder().String("b", "2").String("a", "1").Sum(), true},
		{"a value changed", NewKeyBuilder().String("a", "1").String("b", "3").Sum(), false},
		{"bytes moved across the boundary", NewKeyBuilder().String("a", "12").String("b", "").Sum(), false},
		{"a string is not a blob of the same name", NewKeyBuilder().Bytes("a", []byte("1")).String("b", "2").Sum(), false},
		{"an input added", NewKeyBuilder().String("a", "1").String("b", "2").String("c", "").Sum(), false},
	}
	for _, tt := range tests {
		if got := tt.key == base; got != tt.same {
			t.Errorf("%s: equal = %v, want %v", tt.name, got, tt.same)
		}
	}
	// The framing, spelled out: each of name and value is its 8-byte
	// big-endian length, then its bytes.
	framed := sha256.Sum256([]byte("\x00\x00\x00\x00\x00\x00\x00\x03s:a\x00\x00\x00\x00\x00\x00\x00\x011"))
	if got, want := NewKeyBuilder().String("a", "1").Sum(), Key(hex.EncodeToString(framed[:])); got != want {
		t.Errorf("key = %s, want %s", got, want)
	}
	if got, want := NewKeyBuilder().Sum(), Key("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"); got != want {
		t.Errorf("empty key = %s, want SHA-256 of nothing %s", got, want)
	}
	if got := base.Short(); len(got) != 12 || got != string(base[:12]) {
		t.Errorf("Short = %q", got)
	}
}

func TestKeyTree(t *testing.T) {
	dir := t.TempDir()
	write := func(rel, body string) {
		t.Helper()
		p := filepath.Join(dir, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	sum := func() Key {
		t.Helper()
		b := NewKeyBuilder()
		if err := b.Tree("modules", dir); err != nil {
			t.Fatal(err)
		}
		return b.Sum()
	}
	write("k8s/go.mod", "module k8s\n")
	write("k8s/go.sum", "k8s.io/api v0.34.4 h1:x\n")
	first := sum()
	if again := sum(); again != first {
		t.Fatalf("same tree hashed to %s then %s", first, again)
	}
	if err := os.Chmod(filepath.Join(dir, "k8s/go.mod"), 0o600); err != nil {
		t.Fatal(err)
	}
	if got := sum(); got != first {
		t.Errorf("a mode change changed the key; git does not keep modes, so it must not")
	}
	write("k8s/go.sum", "k8s.io/api v0.34.5 h1:y\n")
	bumped := sum()
	if bumped == first {
		t.Errorf("a go.sum change kept the key")
	}
	if err := os.Symlink("go.mod", filepath.Join(dir, "k8s/link")); err != nil {
		t.Fatal(err)
	}
	if got := sum(); got == bumped {
		t.Errorf("a new symlink kept the key")
	}
	if err := NewKeyBuilder().Tree("x", filepath.Join(dir, "missing")); err == nil {
		t.Errorf("hashing a missing directory succeeded")
	}
}
