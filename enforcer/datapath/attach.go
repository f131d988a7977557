package datapath

import (
	"errors"
	"fmt"
	"net"
	"os"
	"slices"
	"strings"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/link"
)

// hook is one side of a host-side veth. Traffic from the pod enters the
// device (TCX ingress: the pod's egress policy); traffic to the pod leaves
// through it (TCX egress: the pod's ingress policy).
type hook struct {
	name   string
	attach ebpf.AttachType
}

var (
	tcxIngress = hook{name: "tcx_ingress", attach: ebpf.AttachTCXIngress}
	tcxEgress  = hook{name: "tcx_egress", attach: ebpf.AttachTCXEgress}
	hooks      = []hook{tcxIngress, tcxEgress}
)

// program is the program a hook runs.
func (d *Datapath) program(h hook) *ebpf.Program {
	if h == tcxIngress {
		return d.objs.EgressPolicy
	}
	return d.objs.IngressPolicy
}

// attachment is the pair of links of one device, each pinned.
type attachment struct {
	links map[hook]link.Link
}

func (a *attachment) close() error {
	var errs []error
	for _, l := range a.links {
		errs = append(errs, l.Close())
	}
	return errors.Join(errs...)
}

// Attach attaches both programs to the device with this index in the node
// network namespace and pins the links. Attaching a device twice is a no-op;
// a device found with one link only (a crash between the two) gets the other,
// and one whose links were detached gets new ones.
func (d *Datapath) Attach(ifindex int) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	a, ok := d.links[ifindex]
	if !ok {
		a = &attachment{links: map[hook]link.Link{}}
	}
	// A link whose program is no longer attached (its device went away and
	// the index came back with a new device, as a veth moved into this
	// namespace keeps the index it had in its pod's; or someone detached it)
	// enforces nothing: it is dropped and attached anew, never taken as done.
	for h, l := range a.links {
		if alive, err := linkAlive(l); err == nil && !alive {
			_ = l.Unpin()
			_ = l.Close()
			delete(a.links, h)
		}
	}
	created := map[hook]link.Link{}
	err := inNetNS(d.netns, func() error {
		for _, h := range hooks {
			if _, ok := a.links[h]; ok {
				continue
			}
			l, err := link.AttachTCX(link.TCXOptions{Interface: ifindex, Program: d.program(h), Attach: h.attach})
			if err != nil {
				return fmt.Errorf("%s: %w", h.name, err)
			}
			created[h] = l
		}
		return nil
	})
	for h, l := range created {
		if err != nil {
			break
		}
		if pinErr := l.Pin(d.pins.link(ifindex, h)); pinErr != nil {
			err = fmt.Errorf("pin %s link: %w", h.name, pinErr)
		}
	}
	if err != nil {
		errs := []error{err}
		for h, l := range created {
			errs = append(errs, unpinIfPinned(l, d.pins.link(ifindex, h)), l.Close())
		}
		return fmt.Errorf("attach device %d: %w", ifindex, errors.Join(errs...))
	}
	for h, l := range created {
		a.links[h] = l
	}
	d.links[ifindex] = a
	return nil
}

func unpinIfPinned(l link.Link, path string) error {
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
		return nil
	}
	return l.Unpin()
}

// Detach unpins and closes the links of the device, which detaches the
// programs. Detaching a device that is not attached is a no-op, so that a
// controller can detach after the kernel already removed the device.
func (d *Datapath) Detach(ifindex int) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.detachLocked(ifindex)
}

func (d *Datapath) detachLocked(ifindex int) error {
	a, ok := d.links[ifindex]
	if !ok {
		return nil
	}
	var errs []error
	for _, h := range hooks {
		if l, ok := a.links[h]; ok {
			errs = append(errs, l.Unpin(), l.Close())
		}
	}
	delete(d.links, ifindex)
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("detach device %d: %w", ifindex, err)
	}
	return nil
}

// Attached lists the devices with programs attached, in index order.
func (d *Datapath) Attached() []int {
	d.mu.Lock()
	defer d.mu.Unlock()
	out := make([]int, 0, len(d.links))
	for ifindex := range d.links {
		out = append(out, ifindex)
	}
	slices.Sort(out)
	return out
}

// CheckAttached tells whether both programs are still attached to every
// device in ifindexes that still exists, asking the kernel about each link: a
// link someone detached (bpftool link detach) reads as gone. A device that
// went away took its links with it and has nothing left to enforce, so it is
// no problem: its pod was deleted, and the controller has yet to catch up.
func (d *Datapath) CheckAttached(ifindexes []int) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	var gone map[int]bool
	deviceGone := func(ifindex int) bool {
		if gone == nil {
			gone = map[int]bool{}
			_ = inNetNS(d.netns, func() error {
				for _, i := range ifindexes {
					if _, err := net.InterfaceByIndex(i); err != nil {
						gone[i] = true
					}
				}
				return nil
			})
		}
		return gone[ifindex]
	}
	var problems []string
	for _, ifindex := range ifindexes {
		a, ok := d.links[ifindex]
		if !ok {
			problems = append(problems, fmt.Sprintf("device %d: never attached", ifindex))
			continue
		}
		for _, h := range hooks {
			l, ok := a.links[h]
			if !ok {
				problems = append(problems, fmt.Sprintf("device %d: no %s link", ifindex, h.name))
				continue
			}
			alive, err := linkAlive(l)
			switch {
			case err != nil:
				problems = append(problems, fmt.Sprintf("device %d: %s link: %v", ifindex, h.name, err))
			case !alive && !deviceGone(ifindex):
				problems = append(problems, fmt.Sprintf("device %d: %s program detached", ifindex, h.name))
			}
		}
	}
	if len(problems) > 0 {
		return fmt.Errorf("programs not attached: %s", strings.Join(problems, "; "))
	}
	return nil
}

// adoptLinks opens the links a previous process pinned and points them at
// this process's programs, which share the same pinned maps. A link whose
// device is gone is unpinned: the kernel already detached it.
func (d *Datapath) adoptLinks() error {
	entries, err := os.ReadDir(d.pins.links())
	if err != nil {
		return fmt.Errorf("read pinned links: %w", err)
	}
	for _, e := range entries {
		ifindex, h, ok := parseLinkPin(e.Name())
		if !ok {
			return fmt.Errorf("unexpected file %s among pinned links", e.Name())
		}
		path := d.pins.link(ifindex, h)
		l, err := link.LoadPinnedLink(path, nil)
		if err != nil {
			return fmt.Errorf("open pinned link %s: %w", e.Name(), err)
		}
		live, err := linkAlive(l)
		if err != nil {
			return errors.Join(fmt.Errorf("inspect pinned link %s: %w", e.Name(), err), l.Close())
		}
		if !live {
			if err := errors.Join(l.Unpin(), l.Close()); err != nil {
				return fmt.Errorf("drop defunct link %s: %w", e.Name(), err)
			}
			continue
		}
		if err := l.Update(d.program(h)); err != nil {
			return errors.Join(fmt.Errorf("update pinned link %s: %w", e.Name(), err), l.Close())
		}
		a, ok := d.links[ifindex]
		if !ok {
			a = &attachment{links: map[hook]link.Link{}}
			d.links[ifindex] = a
		}
		a.links[h] = l
	}
	return nil
}

// linkAlive tells whether a TCX link still has its device: the kernel
// keeps a link whose device was deleted, with no device.
func linkAlive(l link.Link) (bool, error) {
	info, err := l.Info()
	if err != nil {
		return false, err
	}
	tcx := info.TCX()
	if tcx == nil {
		return false, fmt.Errorf("link %d is not a TCX link", info.ID)
	}
	return tcx.Ifindex != 0, nil
}

func sortedDescending(m map[int]*attachment) []int {
	out := make([]int, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	slices.Reverse(out)
	return out
}
