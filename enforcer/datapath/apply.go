package datapath

import (
	"errors"
	"fmt"

	"github.com/cilium/ebpf"

	"github.com/netpolcheck/netpolcheck/enforcer/compile"
)

// Apply puts the tables in force and returns their generation. It writes
// every entry of the new generation, switches the generation in one store,
// then deletes the old generation's entries. When writing fails, the
// entries written are removed and the old generation stays in force. When
// only the final delete fails, the new generation is in force and is
// returned with the error; the leftovers are swept by the next Apply.
func (d *Datapath) Apply(t *compile.Tables) (uint32, error) {
	if t == nil {
		return 0, fmt.Errorf("apply: no tables")
	}
	d.mu.Lock()
	defer d.mu.Unlock()

	next := d.generation + 1
	if next == 0 { // zero means "nothing applied" to the programs
		next = 1
	}
	e, err := encode(t, next)
	if err != nil {
		return 0, fmt.Errorf("apply generation %d: %w", next, err)
	}
	if d.leftovers {
		// A failed write left entries of this very generation number;
		// written over, the ones the new tables lack would stay in force.
		if err := sweepExcept(&d.objs, d.generation); err != nil {
			return 0, fmt.Errorf("apply generation %d: %w", next, err)
		}
		d.leftovers = false
	}
	if err := d.write(e); err != nil {
		return 0, fmt.Errorf("apply generation %d: %w", next, d.abandon(e, err))
	}
	if err := d.objs.State.Update(uint32(0), next, ebpf.UpdateExist); err != nil {
		return 0, fmt.Errorf("apply generation %d: switch: %w", next, d.abandon(e, err))
	}

	old, stale := d.generation, d.applied
	d.previousGeneration, d.previousNames, d.previousRules = old, d.names, d.rules
	d.generation, d.applied, d.names, d.rules = next, e, t.Pods(), t.Rules

	var cleanup error
	if stale != nil {
		cleanup = d.remove(stale)
	} else {
		cleanup = sweepExcept(&d.objs, next)
	}
	if cleanup != nil {
		// Forget the entries so that the next Apply sweeps what is left.
		d.applied = nil
		return next, fmt.Errorf("apply generation %d: in force, but old generation %d not removed: %w", next, old, cleanup)
	}
	return next, nil
}

func (d *Datapath) write(e *entries) error {
	m := d.objs.PolicyMaps
	if err := updateAll(m.Ports, e.portKeys, e.ports); err != nil {
		return err
	}
	if err := updateAll(m.Peers, e.peerKeys, e.peers); err != nil {
		return err
	}
	if err := updateAll(m.Devices, e.deviceKeys, e.devices); err != nil {
		return err
	}
	return updateAll(m.Endpoints, e.endpointKeys, e.endpoints)
}

// updateAll writes new entries in batches, one system call for thousands
// of keys: on large tables the per-key calls were half of Apply. A kernel
// without batch operations gets one call per key.
func updateAll[K, V any](m *ebpf.Map, keys []K, values []V) error {
	if len(keys) != len(values) {
		return fmt.Errorf("write map %s: %d keys for %d values", mapName(m), len(keys), len(values))
	}
	if len(keys) == 0 {
		return nil
	}
	// Batches take no BPF_NOEXIST, so nothing here would notice a key
	// written twice: encode rejects repeated keys, and Apply sweeps the
	// leftovers of a failed write before it writes again.
	n, err := m.BatchUpdate(keys, values, nil)
	switch {
	case err == nil:
		return nil
	case errors.Is(err, ebpf.ErrNotSupported):
		return updateEach(m, keys, values)
	default:
		return fmt.Errorf("write map %s entry %d: %w", mapName(m), n, err)
	}
}

func updateEach[K, V any](m *ebpf.Map, keys []K, values []V) error {
	for i := range keys {
		if err := m.Update(&keys[i], &values[i], ebpf.UpdateNoExist); err != nil {
			return fmt.Errorf("write map %s entry %d: %w", mapName(m), i, err)
		}
	}
	return nil
}

// abandon removes the entries of a generation that did not go in force,
// and remembers to sweep before the next write if that fails too.
func (d *Datapath) abandon(e *entries, err error) error {
	if cleanup := d.remove(e); cleanup != nil {
		d.leftovers = true
		return errors.Join(err, cleanup)
	}
	return err
}

// remove deletes the entries of one generation, endpoints first so that no
// program finds an endpoint whose rules are already gone.
func (d *Datapath) remove(e *entries) error {
	m := d.objs.PolicyMaps
	return errors.Join(
		deleteKeys(m.Endpoints, e.endpointKeys),
		deleteKeys(m.Devices, e.deviceKeys),
		deleteKeys(m.Peers, e.peerKeys),
		deleteKeys(m.Ports, e.portKeys),
	)
}
