package reports

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// The files WriteAll creates.
const (
	ResultsFile = "results.json"
	JUnitFile   = "junit.xml"
	HTMLFile    = "report.html"
)

// WriteAll writes results.json, junit.xml and report.html into dir, creating
// it. Each file is written to a temporary name and renamed into place, so a
// failed render never leaves a truncated report next to good ones.
func WriteAll(dir string, r *Results) error {
	if r == nil {
		return errors.New("write reports: no results")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("write reports: %w", err)
	}
	for _, f := range []struct {
		name   string
		render func(io.Writer, *Results) error
	}{
		{ResultsFile, WriteJSON},
		{JUnitFile, WriteJUnit},
		{HTMLFile, WriteHTML},
	} {
		if err := writeFileAtomically(filepath.Join(dir, f.name), func(w io.Writer) error { return f.render(w, r) }); err != nil {
			return fmt.Errorf("write reports: %w", err)
		}
	}
	return nil
}

// writeFileAtomically renders into a temporary file beside path and renames it
// to path once complete; on failure the temporary file is removed.
func writeFileAtomically(path string, render func(io.Writer) error) (err error) {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if err := render(tmp); err != nil {
		return err
	}
	// CreateTemp makes the file private; reports are meant to be shared.
	if err := tmp.Chmod(0o644); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return err
	}
	return nil
}
