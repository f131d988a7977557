package scenarios

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
)

// scenarioExtensions are the file name endings LoadPaths reads in directories.
var scenarioExtensions = []string{".yaml", ".yml", ".json"}

// MaxFileBytes caps what one input file may hold. The YAML parser's trees
// take tens of bytes of memory per byte of input, so the cap is what keeps a
// hostile or mistaken file (a disk image, /dev/urandom behind a symlink) from
// exhausting memory. A `kubectl get pods,ns,netpol -A -o yaml` of a cluster
// with several thousand pods fits well below it.
const MaxFileBytes = 32 << 20

// LoadPaths loads scenario files and directories (*.yaml, *.yml, *.json,
// recursively, in name order). Scenario documents become scenarios in that
// order; Kubernetes manifests from all paths together form one more scenario,
// named after the first path holding any, placed last. Every scenario is
// validated; the error lists every fault found.
func LoadPaths(paths []string) ([]*Scenario, error) { return LoadPathsWith(paths, LoadOptions{}) }

// LoadOptions adjust LoadPaths.
type LoadOptions struct {
	// PodCIDR is where manifests' pods without an address get one; when
	// empty, a private range that holds none of the manifests' own addresses.
	PodCIDR string
	// Note, when not nil, is told of every file passed over on purpose
	// (non-regular files and empty files in a directory scan), of pods left
	// out of the model, and of every warning.
	Note func(string)
}

// LoadPathsWith is LoadPaths with options.
func LoadPathsWith(paths []string, opts LoadOptions) ([]*Scenario, error) {
	note := opts.Note
	if len(paths) == 0 {
		return nil, Errors{{Msg: "no scenario files given"}}
	}
	if note == nil {
		note = func(string) {}
	}
	var errs Errors
	var parsed []parsedScenario
	var manifests []manifestDoc
	var manifestPath string
	seen := map[string]bool{}
	for _, p := range paths {
		files, err := filesUnder(p, note)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		for _, file := range files {
			if seen[filepath.Clean(file)] {
				continue
			}
			seen[filepath.Clean(file)] = true
			data, ierr := readInputFile(file)
			if ierr != nil {
				errs = append(errs, ierr)
				continue
			}
			docs, err := readDocuments(file, data)
			if err != nil {
				errs = append(errs, asErrors(err)...)
				continue
			}
			if len(docs) == 0 {
				// kubectl refuses a file with no objects the same way.
				if file == p {
					errs = append(errs, &InputError{File: file, Msg: "holds no scenario or manifest: the file is empty or has only comments and document separators"})
				} else {
					note(fmt.Sprintf("%s: skipped: holds no scenario or manifest", file))
				}
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
		s, merrs := manifestScenario(nameFromPath(manifestPath), manifestPath, manifests, opts)
		errs = append(errs, merrs...)
		parsed = append(parsed, s)
	}
	if len(errs) == 0 {
		for _, p := range parsed {
			for _, w := range p.s.Warnings {
				note(w.Error())
			}
			for _, s := range p.s.Skipped {
				note("skipped: " + s)
			}
		}
	}
	return finish(parsed, errs)
}

// readInputFile reads one regular file of at most MaxFileBytes. It opens
// without blocking and checks the opened file itself, so that a FIFO or a
// device swapped in after the directory scan can neither hang nor flood it.
func readInputFile(file string) ([]byte, *InputError) {
	f, err := os.OpenFile(file, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, &InputError{File: file, Msg: "cannot read: " + pathErrorText(err)}
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return nil, &InputError{File: file, Msg: "cannot read: " + pathErrorText(err)}
	}
	if !info.Mode().IsRegular() {
		return nil, &InputError{File: file, Msg: notRegular(info.Mode())}
	}
	if info.Size() > MaxFileBytes {
		return nil, tooBig(file)
	}
	data, err := io.ReadAll(io.LimitReader(f, MaxFileBytes+1))
	if err != nil {
		return nil, &InputError{File: file, Msg: "cannot read: " + pathErrorText(err)}
	}
	if len(data) > MaxFileBytes {
		return nil, tooBig(file)
	}
	return data, nil
}

func tooBig(file string) *InputError {
	return &InputError{File: file, Msg: fmt.Sprintf("file is larger than %d MiB, the most one input file may hold", MaxFileBytes>>20)}
}

// notRegular says what a non-regular file is and that it is not read.
func notRegular(m fs.FileMode) string {
	kind := "not a regular file"
	switch {
	case m&fs.ModeNamedPipe != 0:
		kind = "a named pipe (FIFO)"
	case m&fs.ModeCharDevice != 0:
		kind = "a character device"
	case m&fs.ModeDevice != 0:
		kind = "a block device"
	case m&fs.ModeSocket != 0:
		kind = "a socket"
	}
	return "is " + kind + ": only regular files and directories are read"
}

// filesUnder lists a path's scenario files: the path itself if it is a
// regular file (whatever its name), or the matching regular files below a
// directory, skipping hidden ones. A directory's other entries with a
// matching name (pipes, devices, sockets, dangling links) are passed over
// and named to note.
func filesUnder(p string, note func(string)) ([]string, *InputError) {
	info, err := os.Stat(p)
	if err != nil {
		return nil, &InputError{File: p, Msg: "cannot read: " + pathErrorText(err)}
	}
	if !info.IsDir() {
		if !info.Mode().IsRegular() {
			return nil, &InputError{File: p, Msg: notRegular(info.Mode())}
		}
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
		if d.IsDir() || !slices.Contains(scenarioExtensions, filepath.Ext(file)) {
			return nil
		}
		mode := d.Type()
		if mode&fs.ModeSymlink != 0 {
			target, err := os.Stat(file)
			if err != nil {
				note(fmt.Sprintf("%s: skipped: cannot follow the link: %s", file, pathErrorText(err)))
				return nil
			}
			mode = target.Mode()
		}
		if !mode.IsRegular() {
			note(fmt.Sprintf("%s: skipped: %s", file, notRegular(mode)))
			return nil
		}
		files = append(files, file)
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
