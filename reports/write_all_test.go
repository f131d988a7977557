package reports

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestWriteAll(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "out", "nested")
	r := runFixture()
	if err := WriteAll(dir, r); err != nil {
		t.Fatal(err)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if want := []string{JUnitFile, HTMLFile, ResultsFile}; !slices.Equal(names, want) {
		t.Errorf("WriteAll created %v, want %v (and no temporary files)", names, want)
	}
	for name, render := range map[string]func(io.Writer, *Results) error{ResultsFile: WriteJSON, JUnitFile: WriteJUnit, HTMLFile: WriteHTML} {
		var want bytes.Buffer
		if err := render(&want, r); err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(dir, name)
		got, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want.Bytes()) {
			t.Errorf("%s differs from its renderer's output", name)
		}
		info, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if perm := info.Mode().Perm(); perm != 0o644 {
			t.Errorf("%s has mode %o, want 644", name, perm)
		}
	}
	again, err := ReadResults(filepath.Join(dir, ResultsFile))
	if err != nil {
		t.Fatalf("the written results do not read back: %v", err)
	}
	if again.Scenarios[1].Steps[1].Cells[3].Explanation != r.Scenarios[1].Steps[1].Cells[3].Explanation {
		t.Error("the written results lost a cell's explanation")
	}
}

func TestWriteAllErrors(t *testing.T) {
	blocker := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(blocker, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := WriteAll(filepath.Join(blocker, "out"), runFixture()); err == nil || !strings.HasPrefix(err.Error(), "write reports: mkdir "+blocker+": not a directory") {
		t.Errorf("WriteAll under a file = %v, want write reports: mkdir %s: not a directory", err, blocker)
	}
	if err := WriteAll(t.TempDir(), nil); err == nil || err.Error() != "write reports: no results" {
		t.Errorf("WriteAll(nil) = %v, want write reports: no results", err)
	}
}

func TestWriteFileAtomicallyRemovesFailedRenders(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "report.html")
	if err := os.WriteFile(path, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	err := writeFileAtomically(path, func(w io.Writer) error {
		io.WriteString(w, "half")
		return io.ErrShortWrite
	})
	if err != io.ErrShortWrite {
		t.Errorf("error = %v, want %v", err, io.ErrShortWrite)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("the directory holds %d files after a failed render, want only the old report", len(entries))
	}
	if got, _ := os.ReadFile(path); string(got) != "old" {
		t.Errorf("the old report became %q, want it untouched", got)
	}
}
