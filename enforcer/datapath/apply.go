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
	if err := d.write(e); err != nil {
		if cleanup := d.remove(e); cleanup != nil {
			err = errors.Join(err, cleanup)
		}
		return 0, fmt.Errorf("apply generation %d: %w", next, err)
	}
	if err := d.objs.State.Update(uint32(0), next, ebpf.UpdateExist); err != nil {
		if cleanup := d.remove(e); cleanup != nil {
			err = errors.Join(err, cleanup)
		}
		return 0, fmt.Errorf("apply generation %d: switch: %w", next, err)
	}

	old, stale := d.generation, d.applied
	d.previousGeneration, d.previousNames = old, d.names
	d.generation, d.applied, d.names = next, e, t.Pods()

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
	if err := updateAll(m.Ports, e.portKeys, func(int) any { return uint32(1) }); err != nil {
		return err
	}
	if err := updateAll(m.Peers, e.peerKeys, func(i int) any { return &e.peers[i] }); err != nil {
		return err
	}
	if err := updateAll(m.Devices, e.deviceKeys, func(i int) any { return &e.devices[i] }); err != nil {
		return err
	}
	return updateAll(m.Endpoints, e.endpointKeys, func(i int) any { return &e.endpoints[i] })
}

func updateAll[K any](m *ebpf.Map, keys []K, value func(int) any) error {
	for i := range keys {
		if err := m.Update(&keys[i], value(i), ebpf.UpdateNoExist); err != nil {
			return fmt.Errorf("write map %s entry %d: %w", mapName(m), i, err)
		}
	}
	return nil
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
