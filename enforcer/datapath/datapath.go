package datapath

import (
	"errors"
	"fmt"
	"sync"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/link"
	"github.com/cilium/ebpf/rlimit"

	"github.com/netpolcheck/netpolcheck/enforcer/bpf"
	"github.com/netpolcheck/netpolcheck/enforcer/compile"
)

// Datapath is one enforcer instance: its programs, its pinned maps, and the
// netfilter links attaching the programs to the hooks of one node network
// namespace, with the pods' host-side veths it enforces. It is safe for
// concurrent use.
type Datapath struct {
	pins  pins
	netns string
	objs  bpf.PolicyObjects

	mu sync.Mutex
	// hookLinks are the pinned netfilter links; devices are the host-side
	// veths under enforcement.
	hookLinks map[hook]link.Link
	devices   map[int]bool
	// generation is the one in force; applied are its map entries, nil when
	// this process did not write them (after a restart), which makes the
	// next Apply sweep the maps instead of deleting known keys.
	generation uint32
	applied    *entries
	// leftovers says that entries of a generation that never went in force
	// may still be in the maps: the next Apply sweeps them first.
	leftovers bool
	// names maps identities to pods for the generation in force and the one
	// before, so that drops in flight during a switch are still named.
	names, previousNames map[uint32]string
	// rules name the cluster policy rules of the same two generations.
	rules, previousRules []compile.RuleRef
	previousGeneration   uint32
}

// Option changes how Open sets an instance up.
type Option func(*options)

type options struct {
	pinRoot string
	netns   string
}

// WithPinRoot pins under root instead of DefaultPinRoot; root must be on a
// BPF filesystem. Tests use a private mount.
func WithPinRoot(root string) Option { return func(o *options) { o.pinRoot = root } }

// WithNetNS attaches to the hooks of the network namespace at path (such as
// /var/run/netns/node) instead of the caller's.
func WithNetNS(path string) Option { return func(o *options) { o.netns = path } }

// Open loads the programs and opens the instance's pinned maps, creating
// them on first use. An instance that a previous process left pinned keeps
// its maps, generation and links; the links are replaced with ones to this
// build's programs, and entries of any generation not in force (a crash in the
// middle of Apply) are swept.
func Open(instance string, opts ...Option) (*Datapath, error) {
	o := options{pinRoot: DefaultPinRoot}
	for _, opt := range opts {
		opt(&o)
	}
	if err := rlimit.RemoveMemlock(); err != nil {
		return nil, fmt.Errorf("open datapath: remove memlock limit: %w", err)
	}
	p, err := newPins(o.pinRoot, instance)
	if err != nil {
		return nil, fmt.Errorf("open datapath %s: %w", instance, err)
	}

	spec, err := bpf.LoadPolicy()
	if err != nil {
		return nil, fmt.Errorf("open datapath %s: load spec: %w", instance, err)
	}
	for name, m := range spec.Maps {
		if !isInternalMap(name) {
			m.Pinning = ebpf.PinByName
		}
	}
	d := &Datapath{pins: p, netns: o.netns, hookLinks: map[hook]link.Link{}, devices: map[int]bool{}}
	if err := spec.LoadAndAssign(&d.objs, &ebpf.CollectionOptions{Maps: ebpf.MapOptions{PinPath: p.maps()}}); err != nil {
		return nil, fmt.Errorf("open datapath %s: load objects (maps pinned by another build? remove %s): %w", instance, p.dir, err)
	}

	if err := d.objs.State.Lookup(uint32(0), &d.generation); err != nil {
		d.objs.Close()
		return nil, fmt.Errorf("open datapath %s: read generation: %w", instance, err)
	}
	if err := sweepExcept(&d.objs, d.generation); err != nil {
		d.objs.Close()
		return nil, fmt.Errorf("open datapath %s: %w", instance, err)
	}
	if err := d.adoptLinks(); err != nil {
		d.closeHandles()
		return nil, fmt.Errorf("open datapath %s: %w", instance, err)
	}
	return d, nil
}

// isInternalMap tells the maps the compiler makes for global variables;
// they belong to one load of the programs and are never shared.
func isInternalMap(name string) bool { return len(name) > 0 && name[0] == '.' }

// Generation is the generation in force, zero before the first Apply.
func (d *Datapath) Generation() uint32 {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.generation
}

// Release closes this process's handles but leaves every pin in place, so
// the kernel keeps enforcing the last applied generation until another
// process opens the instance again.
func (d *Datapath) Release() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.closeHandles()
}

func (d *Datapath) closeHandles() error {
	var errs []error
	for h, l := range d.hookLinks {
		errs = append(errs, l.Close())
		delete(d.hookLinks, h)
	}
	errs = append(errs, d.objs.Close())
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("release datapath: %w", err)
	}
	return nil
}

// Close tears the instance down in the reverse order of setting it up:
// detaches and unpins every link, unpins and closes the maps, and removes
// the instance's directories.
func (d *Datapath) Close() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	var errs []error
	errs = append(errs, d.detachHooksLocked())
	for _, m := range d.pinnedMaps() {
		errs = append(errs, m.Unpin())
	}
	errs = append(errs, d.objs.Close(), d.pins.remove())
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("close datapath: %w", err)
	}
	return nil
}

func (d *Datapath) pinnedMaps() []*ebpf.Map {
	m := d.objs.PolicyMaps
	return []*ebpf.Map{m.Counters, m.Drops, m.Conntrack, m.Ports, m.Peers, m.Devices, m.Endpoints, m.State}
}
