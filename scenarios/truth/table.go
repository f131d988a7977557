package truth

import (
	"iter"

	"github.com/netpolcheck/netpolcheck/scenarios"
)

// Endpoint is a pod or an external host, by index in the table.
type Endpoint struct {
	// ID is "ns/pod" for a pod and the host's name for an external host.
	ID string
	// IP is the endpoint's address, as the World gives it.
	IP string
	// Pod is the pod; nil for an external host.
	Pod *scenarios.Pod
	// External is the external host; nil for a pod.
	External *scenarios.ExternalHost
}

// Target is one served port of one destination endpoint.
type Target struct {
	// Endpoint is the destination's index in TruthTable.Endpoints.
	Endpoint int
	// Port is the served port; Name is the destination's name for it, if any,
	// and Protocol is never empty.
	Port scenarios.Port
}

// TruthTable holds the verdict of every cell of a World: every source
// endpoint to every target, except from an external host to an external host.
type TruthTable struct {
	// Endpoints are the World's pods in World order, then its external hosts.
	Endpoints []Endpoint
	// Targets are, for each endpoint in order, each port it serves.
	Targets []Target

	// allowed holds one row of len(Targets) bits per source endpoint.
	allowed []uint64
	// undefined has the same rows, for cells whose verdict the API leaves
	// open (ClusterNetworkPolicies of equal priority disagree); nil when the
	// World has no ClusterNetworkPolicy.
	undefined []uint64
	rowWords  int
	pods      int
	byID      map[string]int
	byTarget  map[targetKey]int
	firstPort []int // per endpoint, the index of its first target; one extra entry closes the last range
}

// targetKey finds a target by what a probe names: destination, number, protocol.
type targetKey struct {
	endpoint int
	port     int32
	protocol scenarios.Protocol
}

// Cell is one (source, target) pair of a TruthTable with its verdict.
type Cell struct {
	// Source indexes TruthTable.Endpoints, Target TruthTable.Targets.
	Source, Target int
	// Allowed is the oracle's verdict.
	Allowed bool
	// Loopback marks a pod talking to itself; its verdict is computed like any other.
	Loopback bool
	// Undefined marks a cell the API gives no single verdict: policies of
	// one tier and priority decide it differently. Allowed is then false and
	// means nothing; such a cell is never counted as a pass or a failure.
	Undefined bool
}

// newTable lays out the endpoints and targets of w; verdicts are all blocked.
func newTable(w *scenarios.World) *TruthTable {
	t := &TruthTable{
		pods:     len(w.Pods),
		byID:     make(map[string]int, len(w.Pods)+len(w.ExternalHosts)),
		byTarget: make(map[targetKey]int),
	}
	for i := range w.Pods {
		p := &w.Pods[i]
		t.addEndpoint(Endpoint{ID: p.ID(), IP: p.IP, Pod: p}, p.Ports)
	}
	for i := range w.ExternalHosts {
		h := &w.ExternalHosts[i]
		t.addEndpoint(Endpoint{ID: h.Name, IP: h.IP, External: h}, h.Ports)
	}
	t.firstPort = append(t.firstPort, len(t.Targets))
	t.rowWords = wordsFor(len(t.Targets))
	t.allowed = make([]uint64, len(t.Endpoints)*t.rowWords)
	return t
}

func (t *TruthTable) addEndpoint(e Endpoint, ports []scenarios.Port) {
	idx := len(t.Endpoints)
	t.Endpoints = append(t.Endpoints, e)
	t.firstPort = append(t.firstPort, len(t.Targets))
	if _, dup := t.byID[e.ID]; !dup {
		t.byID[e.ID] = idx
	}
	for _, p := range ports {
		p.Protocol = protocolOrTCP(p.Protocol)
		key := targetKey{endpoint: idx, port: p.Port, protocol: p.Protocol}
		if _, dup := t.byTarget[key]; !dup {
			t.byTarget[key] = len(t.Targets)
		}
		t.Targets = append(t.Targets, Target{Endpoint: idx, Port: p})
	}
}

func (t *TruthTable) external(endpoint int) bool { return endpoint >= t.pods }

func (t *TruthTable) row(src int) bitset {
	return bitset(t.allowed[src*t.rowWords : (src+1)*t.rowWords])
}

// Allowed is the verdict of a cell by indexes. It is false for an index out
// of range and for a cell that does not exist (external to external).
func (t *TruthTable) Allowed(src, target int) bool {
	if src < 0 || src >= len(t.Endpoints) || target < 0 || target >= len(t.Targets) {
		return false
	}
	return t.row(src).has(target)
}

// Undefined tells whether the API leaves a cell's verdict open (see
// Cell.Undefined). It is false for an index out of range.
func (t *TruthTable) Undefined(src, target int) bool {
	if t.undefined == nil || src < 0 || src >= len(t.Endpoints) || target < 0 || target >= len(t.Targets) {
		return false
	}
	return bitset(t.undefined[src*t.rowWords : (src+1)*t.rowWords]).has(target)
}

// Lookup finds a cell by names; ok is false when the cell does not exist
// (ext→ext, or a port the destination does not serve).
func (t *TruthTable) Lookup(from, to string, port int32, proto scenarios.Protocol) (allowed, ok bool) {
	c, ok := t.Find(from, to, port, proto)
	return c.Allowed, ok
}

// Find finds a cell by names, with its verdict; ok is false when the cell
// does not exist (Lookup).
func (t *TruthTable) Find(from, to string, port int32, proto scenarios.Protocol) (Cell, bool) {
	src, found := t.byID[from]
	if !found {
		return Cell{}, false
	}
	dst, found := t.byID[to]
	if !found || (t.external(src) && t.external(dst)) {
		return Cell{}, false
	}
	target, found := t.byTarget[targetKey{endpoint: dst, port: port, protocol: protocolOrTCP(proto)}]
	if !found {
		return Cell{}, false
	}
	return Cell{Source: src, Target: target, Allowed: t.Allowed(src, target), Undefined: t.Undefined(src, target), Loopback: src == dst}, true
}

// Cells iterates every cell in a deterministic order: source endpoint order,
// then target order.
func (t *TruthTable) Cells() iter.Seq[Cell] {
	return func(yield func(Cell) bool) {
		for src := range t.Endpoints {
			row := t.row(src)
			for target, tg := range t.Targets {
				if t.external(src) && t.external(tg.Endpoint) {
					continue
				}
				c := Cell{Source: src, Target: target, Allowed: row.has(target), Loopback: tg.Endpoint == src, Undefined: t.Undefined(src, target)}
				if !yield(c) {
					return
				}
			}
		}
	}
}
