package scenarios

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// scenarioExtensions are the file name endings LoadPaths reads in directories.
var scenarioExtensions = []string{".yaml", ".yml", ".json"}

// LoadPaths loads scenario files and directories (*.yaml, *.yml, *.json,
// recursively, in name order). Scenario documents become scenarios in that
// order; Kubernetes manifests from all paths together form one more scenario,
// named after the first path holding any, placed last. Every scenario is
// validated; the error lists every fault found.
func LoadPaths(paths []string) ([]*Scenario, error) {
	if len(paths) == 0 {
		return nil, Errors{{Msg: "no scenario files given"}}
	}
	var errs Errors
	var parsed []parsedScenario
	var manifests []manifestDoc
	var manifestPath string
	seen := map[string]bool{}
	for _, p := range paths {
		files, err := filesUnder(p)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		for _, file := range files {
			if seen[filepath.Clean(file)] {
				continue
			}
			seen[filepath.Clean(file)] = true
			data, err := os.ReadFile(file)
			if err != nil {
				errs = append(errs, &InputError{File: file, Msg: "cannot read: " + pathErrorText(err)})
				continue
			}
			docs, err := readDocuments(file, data)
			if err != nil {
				errs = append(errs, asErrors(err)...)
				continue
			}
			ps, ms, perrs := parseDocuments(file, docs)
			parsed = append(parsed, ps...)
			errs = append(errs, perrs...)
			if len(ms) > 0 && manifestPath == "" {
				manifestPath = p
			}
			manifests = append(manifests, ms...)
		}
	}
	if len(manifests) > 0 {
		s, merrs := manifestScenario(nameFromPath(manifestPath), manifestPath, manifests)
		errs = append(errs, merrs...)
		parsed = append(parsed, s)
	}
	return finish(parsed, errs)
}

// filesUnder lists a path's scenario files: the path itself if it is a file
// (whatever its name), or the matching files below a directory, skipping
// hidden ones.
func filesUnder(p string) ([]string, *InputError) {
	info, err := os.Stat(p)
	if err != nil {
		return nil, &InputError{File: p, Msg: "cannot read: " + pathErrorText(err)}
	}
	if !info.IsDir() {
		return []string{p}, nil
	}
	var files []string
	err = filepath.WalkDir(p, func(file string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if file != p && strings.HasPrefix(d.Name(), ".") {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		if !d.IsDir() && slices.Contains(scenarioExtensions, filepath.Ext(file)) {
			files = append(files, file)
		}
		return nil
	})
	if err != nil {
		return nil, &InputError{File: p, Msg: "cannot read: " + pathErrorText(err)}
	}
	if len(files) == 0 {
		return nil, &InputError{File: p, Msg: "no scenario files (*.yaml, *.yml, *.json) found"}
	}
	return files, nil
}

// pathErrorText drops the path from an fs error, since the InputError names the file already.
func pathErrorText(err error) string {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}
