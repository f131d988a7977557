package datapath

import (
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/link"
	"golang.org/x/sys/unix"

	"github.com/netpolcheck/netpolcheck/enforcer/bpf"
)

// hook is one netfilter hook of the node namespace that a program runs at.
// The programs judge packets there, rather than on each pod's veth, because
// only there do packets carry what the API means (docs/design.md): the
// destination after a Service's DNAT, the source before masquerade.
//
// A hook has two priorities, side by side, because the kernel runs one BPF
// program per hook and priority: a restarted enforcer attaches its programs
// at the free one before it closes the old links, so the hook is never
// without a program.
type hook struct {
	name       string
	hook       link.NetfilterInetHook
	priorities [2]int32
}

var (
	// preRouting judges what pods send: just after DNAT (NF_IP_PRI_NAT_DST
	// is -100), so a ClusterIP is already the backend pod.
	preRouting = hook{name: "nf_prerouting", hook: link.NetfilterInetPreRouting,
		priorities: [2]int32{bpf.PriorityAfterDNAT, bpf.PriorityAfterDNAT + 1}}
	// postRouting judges what pods receive: just before SNAT
	// (NF_IP_PRI_NAT_SRC is 100), so neither masquerade nor the reverse
	// translation of a reply has happened yet.
	postRouting = hook{name: "nf_postrouting", hook: link.NetfilterInetPostRouting,
		priorities: [2]int32{bpf.PriorityBeforeSNAT, bpf.PriorityBeforeSNAT - 1}}
	hooks = []hook{preRouting, postRouting}
)

// program is the program a hook runs.
func (d *Datapath) program(h hook) *ebpf.Program {
	if h == preRouting {
		return d.objs.EgressPolicy
	}
	return d.objs.IngressPolicy
}

// ensureHooksLocked attaches and pins whichever of the two hook links is
// missing, in the node network namespace.
func (d *Datapath) ensureHooksLocked() error {
	var errs []error
	for _, h := range hooks {
		if _, ok := d.hookLinks[h]; ok {
			continue
		}
		l, err := d.attachHook(h, h.priorities[0])
		if err == nil {
			if err = l.Pin(d.pins.link(h)); err != nil {
				err = errors.Join(fmt.Errorf("pin %s link: %w", h.name, err), l.Close())
			}
		}
		if err != nil {
			errs = append(errs, err)
			continue
		}
		d.hookLinks[h] = l
	}
	return errors.Join(errs...)
}

// attachHook attaches the hook's program in the node network namespace: a
// netfilter link belongs to the namespace of the thread that creates it.
func (d *Datapath) attachHook(h hook, priority int32) (link.Link, error) {
	var l link.Link
	err := inNetNS(d.netns, func() error {
		var err error
		l, err = link.AttachNetfilter(link.NetfilterOptions{
			Program:        d.program(h),
			ProtocolFamily: link.NetfilterProtoIPv4,
			Hook:           h.hook,
			Priority:       priority,
		})
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("attach %s: %w", h.name, err)
	}
	return l, nil
}

// Attach puts the device with this index under enforcement: the hook links
// are attached if they are not yet, and the device is recorded. The programs
// themselves find the device in the generation in force (Apply), so a device
// is judged as its pod from the moment its rules are in force. Attaching a
// device twice is a no-op.
func (d *Datapath) Attach(ifindex int) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if err := d.ensureHooksLocked(); err != nil {
		return fmt.Errorf("attach device %d: %w", ifindex, err)
	}
	d.devices[ifindex] = true
	return nil
}

// Detach takes the device out of the recorded set; the last device takes
// the hook links with it, so a node with no pod to enforce runs no program.
// Detaching a device that is not attached is a no-op, so that a controller
// can detach after the kernel removed the device.
func (d *Datapath) Detach(ifindex int) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if !d.devices[ifindex] {
		return nil
	}
	delete(d.devices, ifindex)
	if len(d.devices) > 0 {
		return nil
	}
	return d.detachHooksLocked()
}

// Attached lists the devices under enforcement, in index order.
func (d *Datapath) Attached() []int {
	d.mu.Lock()
	defer d.mu.Unlock()
	out := make([]int, 0, len(d.devices))
	for ifindex := range d.devices {
		out = append(out, ifindex)
	}
	slices.Sort(out)
	return out
}

// CheckAttached tells whether every device in ifindexes is under enforcement
// and both hook programs still run. The kernel keeps a netfilter link that
// someone detached (bpftool link detach) with nothing to tell it by, so each
// hook is asked the other way round: the kernel runs one BPF program per hook
// and priority, and if another can be attached at the link's priority, the
// link's program is no longer there.
func (d *Datapath) CheckAttached(ifindexes []int) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	var problems []string
	for _, ifindex := range ifindexes {
		if !d.devices[ifindex] {
			problems = append(problems, fmt.Sprintf("device %d: never attached", ifindex))
		}
	}
	if len(ifindexes) > 0 {
		for _, h := range hooks {
			l, ok := d.hookLinks[h]
			if !ok {
				problems = append(problems, fmt.Sprintf("no %s link", h.name))
				continue
			}
			if err := d.checkHookLink(l, h); err != nil {
				problems = append(problems, err.Error())
			}
		}
	}
	if len(problems) > 0 {
		return fmt.Errorf("programs not attached: %s", strings.Join(problems, "; "))
	}
	return nil
}

// checkHookLink asks the kernel whether l is a netfilter link at h whose
// program still runs there, and attaches the program again if not.
func (d *Datapath) checkHookLink(l link.Link, h hook) error {
	info, err := l.Info()
	if err != nil {
		return fmt.Errorf("%s link: %w", h.name, err)
	}
	nf := info.Netfilter()
	if nf == nil || nf.Hook != h.hook || !slices.Contains(h.priorities[:], nf.Priority) || nf.ProtocolFamily != link.NetfilterProtoIPv4 {
		return fmt.Errorf("%s link %d is not at its hook", h.name, info.ID)
	}
	probe, err := d.attachHook(h, nf.Priority)
	if errors.Is(err, unix.EBUSY) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("%s link %d: %w", h.name, info.ID, err)
	}
	// The probe takes the dead link's place, so that the check reports the
	// hole once and the next step is enforced again.
	replaced := errors.Join(l.Unpin(), l.Close(), probe.Pin(d.pins.link(h)))
	if replaced != nil {
		return errors.Join(fmt.Errorf("%s program detached (link %d), and attaching it again failed", h.name, info.ID), replaced, probe.Close())
	}
	d.hookLinks[h] = probe
	return fmt.Errorf("%s program detached (link %d); attached again", h.name, info.ID)
}

// detachHooksLocked unpins and closes the hook links, which detaches the
// programs.
func (d *Datapath) detachHooksLocked() error {
	var errs []error
	for _, h := range hooks {
		if l, ok := d.hookLinks[h]; ok {
			errs = append(errs, l.Unpin(), l.Close())
			delete(d.hookLinks, h)
		}
	}
	clear(d.devices)
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("detach hooks: %w", err)
	}
	return nil
}

// adoptLinks takes over what a previous process pinned. A netfilter link
// cannot be pointed at another program, so each pinned hook link is replaced:
// this build's program is attached first, at the hook's other priority, then
// the old link is unpinned and closed, so the hook is never left without a
// program (for that moment a packet is judged twice, against the same maps,
// to the same verdict). Pins
// of per-device TCX links, which builds before the netfilter hooks left, are
// unpinned, which detaches them. The devices under enforcement are those of
// the generation in force.
func (d *Datapath) adoptLinks() error {
	entries, err := os.ReadDir(d.pins.links())
	if err != nil {
		return fmt.Errorf("read pinned links: %w", err)
	}
	for _, e := range entries {
		path := d.pins.linkPath(e.Name())
		old, err := link.LoadPinnedLink(path, nil)
		if err != nil {
			return fmt.Errorf("open pinned link %s: %w", e.Name(), err)
		}
		h, isHook := hookNamed(e.Name())
		if !isHook {
			if !isLegacyTCXPin(e.Name()) {
				return errors.Join(fmt.Errorf("unexpected file %s among pinned links", e.Name()), old.Close())
			}
			if err := errors.Join(old.Unpin(), old.Close()); err != nil {
				return fmt.Errorf("drop TCX link %s of an earlier build: %w", e.Name(), err)
			}
			continue
		}
		spare := h.priorities[0]
		if info, err := old.Info(); err == nil && info.Netfilter() != nil && info.Netfilter().Priority == spare {
			spare = h.priorities[1]
		}
		fresh, err := d.attachHook(h, spare)
		if err != nil {
			return errors.Join(err, old.Close())
		}
		if err := errors.Join(old.Unpin(), old.Close()); err != nil {
			return errors.Join(fmt.Errorf("replace pinned link %s: %w", e.Name(), err), fresh.Close())
		}
		if err := fresh.Pin(path); err != nil {
			return errors.Join(fmt.Errorf("pin %s link: %w", h.name, err), fresh.Close())
		}
		d.hookLinks[h] = fresh
	}
	devices, err := devicesInForce(&d.objs, d.generation)
	if err != nil {
		return err
	}
	for _, ifindex := range devices {
		d.devices[ifindex] = true
	}
	return nil
}

// devicesInForce lists the devices of generation in the devices map.
func devicesInForce(objs *bpf.PolicyObjects, generation uint32) ([]int, error) {
	var (
		key   bpf.PolicyDeviceKey
		value bpf.PolicyDeviceValue
		out   []int
	)
	it := objs.Devices.Iterate()
	for it.Next(&key, &value) {
		if key.Generation == generation {
			out = append(out, int(key.Ifindex))
		}
	}
	if err := it.Err(); err != nil {
		return nil, fmt.Errorf("read devices in force: %w", err)
	}
	return out, nil
}
