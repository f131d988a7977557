package kind

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestCachedBinariesIsTheNewestWithKind(t *testing.T) {
	cache := t.TempDir()
	if got := cachedBinaries(cache); got != "" {
		t.Errorf("empty cache: %q", got)
	}
	for i, key := range []string{"old", "new", "nokind"} {
		bin := filepath.Join(cache, "binaries-"+key, "bin")
		if err := os.MkdirAll(bin, 0o755); err != nil {
			t.Fatal(err)
		}
		if key == "nokind" {
			continue
		}
		path := filepath.Join(bin, "kind")
		if err := os.WriteFile(path, nil, 0o755); err != nil {
			t.Fatal(err)
		}
		at := time.Now().Add(time.Duration(i-2) * time.Hour)
		if err := os.Chtimes(path, at, at); err != nil {
			t.Fatal(err)
		}
	}
	if got, want := cachedBinaries(cache), filepath.Join(cache, "binaries-new", "bin"); got != want {
		t.Errorf("cachedBinaries = %q, want %q", got, want)
	}
}
