package datapath

import (
	"encoding/binary"
	"fmt"
	"math"
	"net/netip"

	"github.com/netpolcheck/netpolcheck/enforcer/bpf"
	"github.com/netpolcheck/netpolcheck/enforcer/compile"
)

// Addresses and ports sit in the maps in network byte order, as the
// programs read them from packets; these convert to the integers whose
// in-memory bytes are in that order.

func networkAddr(a netip.Addr) uint32 {
	b := a.As4()
	return binary.NativeEndian.Uint32(b[:])
}

func hostAddr(n uint32) netip.Addr {
	var b [4]byte
	binary.NativeEndian.PutUint32(b[:], n)
	return netip.AddrFrom4(b)
}

func networkPort(p uint16) uint16 {
	var b [2]byte
	binary.BigEndian.PutUint16(b[:], p)
	return binary.NativeEndian.Uint16(b[:])
}

func hostPort(n uint16) uint16 {
	var b [2]byte
	binary.NativeEndian.PutUint16(b[:], n)
	return binary.BigEndian.Uint16(b[:])
}

// entries are the map entries of one generation of tables.
type entries struct {
	endpointKeys []bpf.PolicyEndpointKey
	endpoints    []bpf.PolicyEndpointValue
	deviceKeys   []bpf.PolicyDeviceKey
	devices      []bpf.PolicyDeviceValue
	peerKeys     []bpf.PolicyPeerKey
	peers        []bpf.PolicyPeerValue
	portKeys     []bpf.PolicyPortKey
	ports        []bpf.PolicyPortValue
}

// encode checks the tables and lays them out as entries of generation.
// Nothing is written before every entry is known to be valid.
func encode(t *compile.Tables, generation uint32) (*entries, error) {
	e := &entries{}
	for _, ep := range t.Endpoints {
		if !ep.IP.Is4() {
			return nil, fmt.Errorf("endpoint %s: address %v is not IPv4", ep.Pod, ep.IP)
		}
		if ep.Ifindex <= 0 || ep.Ifindex > math.MaxInt32 {
			return nil, fmt.Errorf("endpoint %s: ifindex %d out of range", ep.Pod, ep.Ifindex)
		}
		if ep.Identity == 0 {
			return nil, fmt.Errorf("endpoint %s: identity 0 is reserved", ep.Pod)
		}
		e.endpointKeys = append(e.endpointKeys, bpf.PolicyEndpointKey{Generation: generation, Addr: networkAddr(ep.IP)})
		e.endpoints = append(e.endpoints, bpf.PolicyEndpointValue{Identity: ep.Identity, Ingress: uint32(ep.Ingress), Egress: uint32(ep.Egress)})
		e.deviceKeys = append(e.deviceKeys, bpf.PolicyDeviceKey{Generation: generation, Ifindex: uint32(ep.Ifindex)})
		e.devices = append(e.devices, bpf.PolicyDeviceValue{Addr: networkAddr(ep.IP), Identity: ep.Identity})
	}
	for _, p := range t.Peers {
		if !p.Prefix.Addr().Is4() {
			return nil, fmt.Errorf("rule set %d: prefix %v is not IPv4", p.RuleSet, p.Prefix)
		}
		if p.RuleSet == compile.NotIsolated || p.Class == 0 {
			return nil, fmt.Errorf("rule set %d: prefix %v: rule set and class must not be 0", p.RuleSet, p.Prefix)
		}
		e.peerKeys = append(e.peerKeys, bpf.PolicyPeerKey{
			Prefixlen:  bpf.PeerKeyFixedBits + uint32(p.Prefix.Bits()),
			Generation: generation,
			Ruleset:    uint32(p.RuleSet),
			Addr:       networkAddr(p.Prefix.Masked().Addr()),
		})
		e.peers = append(e.peers, bpf.PolicyPeerValue{Class: uint32(p.Class)})
	}
	for _, p := range t.Ports {
		key, err := portKey(p, generation)
		if err != nil {
			return nil, err
		}
		if p.Rule != 0 && (!p.Deny || int(p.Rule) > len(t.Rules)) {
			return nil, fmt.Errorf("class %d: port entry names rule %d of %d, deny %v", p.Class, p.Rule, len(t.Rules), p.Deny)
		}
		e.portKeys = append(e.portKeys, key)
		value := bpf.PolicyPortValue{Allowed: 1}
		if p.Deny {
			value = bpf.PolicyPortValue{Rule: p.Rule}
		}
		e.ports = append(e.ports, value)
	}
	if err := e.checkUnique(t); err != nil {
		return nil, err
	}
	return e, nil
}

// checkUnique rejects tables that give one key twice: the maps are written
// in batches, which would keep the last value without a word.
func (e *entries) checkUnique(t *compile.Tables) error {
	if i, j, ok := repeated(e.endpointKeys); ok {
		return fmt.Errorf("endpoint %s: address %v also belongs to endpoint %s", t.Endpoints[j].Pod, t.Endpoints[j].IP, t.Endpoints[i].Pod)
	}
	if i, j, ok := repeated(e.deviceKeys); ok {
		return fmt.Errorf("endpoint %s: ifindex %d also belongs to endpoint %s", t.Endpoints[j].Pod, t.Endpoints[j].Ifindex, t.Endpoints[i].Pod)
	}
	if _, j, ok := repeated(e.peerKeys); ok {
		return fmt.Errorf("rule set %d: prefix %v listed twice", t.Peers[j].RuleSet, t.Peers[j].Prefix.Masked())
	}
	if _, j, ok := repeated(e.portKeys); ok {
		p := t.Ports[j]
		return fmt.Errorf("class %d: protocol %d port %d/%d listed twice", p.Class, p.Protocol, p.Port, p.Bits)
	}
	return nil
}

// repeated finds the first key equal to an earlier one: j, and the
// earlier one, i.
func repeated[K comparable](keys []K) (i, j int, ok bool) {
	first := make(map[K]int, len(keys))
	for j, k := range keys {
		if i, ok := first[k]; ok {
			return i, j, true
		}
		first[k] = j
	}
	return 0, 0, false
}

func portKey(p compile.PortPrefix, generation uint32) (bpf.PolicyPortKey, error) {
	if p.Class == 0 {
		return bpf.PolicyPortKey{}, fmt.Errorf("port prefix %+v: class must not be 0", p)
	}
	if p.Protocol == compile.AnyProtocol {
		if p.Port != 0 || p.Bits != 0 {
			return bpf.PolicyPortKey{}, fmt.Errorf("class %d: a rule for every protocol cannot name port %d/%d", p.Class, p.Port, p.Bits)
		}
		return bpf.PolicyPortKey{Prefixlen: bpf.PortKeyFixedBits, Generation: generation, Class: uint32(p.Class)}, nil
	}
	if p.Bits > 16 {
		return bpf.PolicyPortKey{}, fmt.Errorf("class %d: port prefix length %d over 16", p.Class, p.Bits)
	}
	// Bits past the prefix are cleared so that equal prefixes make equal keys.
	mask := uint16(0xffff) << (16 - uint(p.Bits))
	return bpf.PolicyPortKey{
		Prefixlen:  bpf.PortKeyProtoBits + uint32(p.Bits),
		Generation: generation,
		Class:      uint32(p.Class),
		Protocol:   uint16(p.Protocol),
		Port:       networkPort(p.Port & mask),
	}, nil
}
