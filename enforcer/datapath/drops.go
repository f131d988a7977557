package datapath

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"
	"strconv"
	"time"

	"github.com/cilium/ebpf/ringbuf"

	"github.com/netpolcheck/netpolcheck/enforcer/bpf"
	"github.com/netpolcheck/netpolcheck/enforcer/compile"
)

// Drop is one denied packet as the programs logged it.
type Drop struct {
	// Source, Destination and the ports are the packet's; ports are zero
	// for protocols without them and for non-first fragments.
	Source          netip.Addr
	Destination     netip.Addr
	SourcePort      uint16
	DestinationPort uint16
	// Protocol is the IP protocol number.
	Protocol uint8
	// Direction is the policy that denied: Ingress for the destination
	// pod's, Egress for the source pod's.
	Direction bpf.Direction
	// Reason says which check denied.
	Reason bpf.Reason
	// Identity numbers the local endpoint (zero when none was found), and
	// Endpoint names it when its generation is the current or previous one.
	Identity uint32
	Endpoint string
	// Generation is the policy generation the verdict was taken under.
	Generation uint32
	// Ifindex is the host-side device the packet crossed.
	Ifindex uint32
	// RuleNumber is, for ReasonTier, the cluster policy rule that denied
	// (zero for NetworkPolicy isolation), and Rule is it when its
	// generation is the current or previous one.
	RuleNumber uint32
	Rule       *compile.RuleRef
	// Monotonic is when the packet was dropped, on CLOCK_MONOTONIC.
	Monotonic time.Duration
}

// Decider names what denied: the cluster policy rule, or the check.
func (d Drop) Decider() string {
	if d.Reason != bpf.ReasonTier {
		return d.Reason.String()
	}
	if d.RuleNumber == 0 {
		return "NetworkPolicy: no rule admits"
	}
	if d.Rule != nil {
		return d.Rule.String()
	}
	return "cluster policy rule " + strconv.FormatUint(uint64(d.RuleNumber), 10)
}

// String renders the drop on one line, as reports list drops beside cells.
func (d Drop) String() string {
	endpoint := d.Endpoint
	if endpoint == "" {
		endpoint = "identity " + strconv.FormatUint(uint64(d.Identity), 10)
	}
	return fmt.Sprintf("%s denied %s -> %s/%s at %s (%s, generation %d)",
		d.Direction, netip.AddrPortFrom(d.Source, d.SourcePort), netip.AddrPortFrom(d.Destination, d.DestinationPort),
		protocolName(d.Protocol), endpoint, d.Decider(), d.Generation)
}

func protocolName(p uint8) string {
	switch p {
	case 1:
		return "ICMP"
	case 6:
		return "TCP"
	case 17:
		return "UDP"
	case 132:
		return "SCTP"
	}
	return strconv.Itoa(int(p))
}

func decodeDrop(raw []byte) (Drop, error) {
	var ev bpf.PolicyDropEvent
	if err := binary.Read(bytes.NewReader(raw), binary.NativeEndian, &ev); err != nil {
		return Drop{}, fmt.Errorf("decode drop record of %d bytes: %w", len(raw), err)
	}
	return Drop{
		Source:          hostAddr(ev.Saddr),
		Destination:     hostAddr(ev.Daddr),
		SourcePort:      hostPort(ev.Sport),
		DestinationPort: hostPort(ev.Dport),
		Protocol:        ev.Protocol,
		Direction:       bpf.Direction(ev.Direction),
		Reason:          bpf.Reason(ev.Reason),
		Identity:        ev.Identity,
		Generation:      ev.Generation,
		Ifindex:         ev.Ifindex,
		RuleNumber:      ev.Rule,
		Monotonic:       time.Duration(ev.Ktime),
	}, nil
}

// WatchDrops calls fn for every drop record until ctx is done, then returns
// nil. Records come from one ring buffer, so run one watcher at a time;
// records the ring buffer had no room for are counted in Counters().DropsLost.
func (d *Datapath) WatchDrops(ctx context.Context, fn func(Drop)) error {
	rd, err := ringbuf.NewReader(d.objs.Drops)
	if err != nil {
		return fmt.Errorf("watch drops: %w", err)
	}
	stop := context.AfterFunc(ctx, func() { rd.Close() })
	defer stop()
	defer rd.Close()
	for {
		rec, err := rd.Read()
		if errors.Is(err, ringbuf.ErrClosed) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("watch drops: %w", err)
		}
		drop, err := decodeDrop(rec.RawSample)
		if err != nil {
			return fmt.Errorf("watch drops: %w", err)
		}
		drop.Endpoint, drop.Rule = d.nameDrop(drop.Generation, drop.Identity, drop.RuleNumber)
		fn(drop)
	}
}

// nameDrop names a drop's endpoint and cluster policy rule, when its
// generation is the one in force or the one before.
func (d *Datapath) nameDrop(generation, identity, rule uint32) (endpoint string, ref *compile.RuleRef) {
	d.mu.Lock()
	defer d.mu.Unlock()
	var rules []compile.RuleRef
	switch generation {
	case d.generation:
		endpoint, rules = d.names[identity], d.rules
	case d.previousGeneration:
		endpoint, rules = d.previousNames[identity], d.previousRules
	}
	if rule >= 1 && int(rule) <= len(rules) {
		r := rules[rule-1]
		ref = &r
	}
	return endpoint, ref
}
