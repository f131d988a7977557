package local

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"time"
)

// registration is the file a run keeps at <registry dir>/<run>.json while it
// lives, so that Clean can tell a crashed run's namespaces from a live one's.
type registration struct {
	RunID string `json:"runID"`
	PID   int    `json:"pid"`
	// Started is the wall-clock time the run began, for people reading the file.
	Started time.Time `json:"started"`
	// ProcStart is the process's start in clock ticks after boot; with PID it
	// identifies the process even after the PID is reused.
	ProcStart uint64 `json:"procStart"`
	// Namespaces lists the network namespaces the run currently holds.
	Namespaces []string `json:"namespaces"`
}

// registry owns one run's registration file and rewrites it as namespaces
// come and go.
type registry struct {
	mu   sync.Mutex
	path string
	reg  registration
}

// register writes a new registration for run. It fails if the run is already
// registered, so two processes can never share a run ID.
func register(p paths, run string) (*registry, error) {
	start, _, err := processStart(os.Getpid())
	if err != nil {
		return nil, fmt.Errorf("register run %s: %w", run, err)
	}
	if err := os.MkdirAll(p.RegistryDir, 0o755); err != nil {
		return nil, fmt.Errorf("register run %s: %w", run, err)
	}
	r := &registry{
		path: p.registration(run),
		reg: registration{
			RunID:      run,
			PID:        os.Getpid(),
			Started:    time.Now().UTC().Truncate(time.Second),
			ProcStart:  start,
			Namespaces: []string{},
		},
	}
	data, err := json.MarshalIndent(r.reg, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("register run %s: %w", run, err)
	}
	f, err := os.OpenFile(r.path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return nil, fmt.Errorf("register run %s: %w", run, err)
	}
	_, werr := f.Write(append(data, '\n'))
	if err := errors.Join(werr, f.Close()); err != nil {
		_ = os.Remove(r.path)
		return nil, fmt.Errorf("register run %s: %w", run, err)
	}
	return r, nil
}

// add records a namespace before it is created, so that a crash in between
// still leaves it listed.
func (r *registry) add(netns string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.reg.Namespaces = append(r.reg.Namespaces, netns)
	return r.write()
}

// remove drops a namespace after it was deleted.
func (r *registry) remove(netns string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.reg.Namespaces = slices.DeleteFunc(r.reg.Namespaces, func(n string) bool { return n == netns })
	return r.write()
}

// unregister deletes the file; the run then owns nothing on the host.
func (r *registry) unregister() error {
	if err := os.Remove(r.path); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("unregister run %s: %w", r.reg.RunID, err)
	}
	return nil
}

// write replaces the file atomically, so a concurrent Clean never reads half of it.
func (r *registry) write() error {
	data, err := json.MarshalIndent(r.reg, "", "  ")
	if err != nil {
		return fmt.Errorf("write registration: %w", err)
	}
	tmp := r.path + ".tmp"
	if err := os.WriteFile(tmp, append(data, '\n'), 0o644); err != nil {
		return fmt.Errorf("write registration: %w", err)
	}
	if err := os.Rename(tmp, r.path); err != nil {
		return fmt.Errorf("write registration: %w", err)
	}
	return nil
}

// readRegistrations loads every registration in dir, keyed by run ID. A file
// that cannot be parsed maps to a registration with PID 0, which is never alive.
func readRegistrations(dir string) (map[string]registration, error) {
	files, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil {
		return nil, fmt.Errorf("list registrations: %w", err)
	}
	regs := make(map[string]registration, len(files))
	for _, f := range files {
		run := filepath.Base(f[:len(f)-len(".json")])
		var reg registration
		data, err := os.ReadFile(f)
		if errors.Is(err, os.ErrNotExist) {
			continue // the run closed while we listed
		}
		if err != nil || json.Unmarshal(data, &reg) != nil {
			reg = registration{}
		}
		reg.RunID = run
		regs[run] = reg
	}
	return regs, nil
}
