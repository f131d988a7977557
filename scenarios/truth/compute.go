package truth

import (
	"github.com/netpolcheck/netpolcheck/scenarios"
)

// Compute returns the verdict of every cell of w.
//
// Each source endpoint gets two rows of target bits: the targets its egress
// admits, and the targets whose ingress admits it. Every rule is turned into
// sets once and OR-ed into the rows it concerns, so the cost grows with rules
// times rows, in words, and never with policies times cells.
func Compute(w *scenarios.World) *TruthTable {
	t := newTable(w)
	x := newWorldIndex(w, t)
	n, words := len(t.Endpoints), t.rowWords

	ingressOK := make([]uint64, n*words) // row s: targets whose ingress admits s
	egressOK := make([]uint64, n*words)  // row s: targets s's egress admits
	ingressIsolated := newBitset(n)
	egressIsolated := newBitset(n)

	for _, p := range w.Policies {
		if p == nil {
			continue
		}
		ingress, egress := directions(p)
		if !ingress && !egress {
			continue
		}
		selected := x.selectedBy(p)
		if selected.empty() {
			continue
		}
		if ingress {
			ingressIsolated.or(selected)
			selectedTargets := x.targetsOf(selected)
			for i := range p.Spec.Ingress {
				r := &p.Spec.Ingress[i]
				admitted := x.portTargets(r.Ports)
				admitted.and(selectedTargets)
				lo, hi := admitted.span()
				if lo == hi {
					continue
				}
				x.peers(p.Namespace, r.From).each(func(s int) {
					orWords(ingressOK[s*words:(s+1)*words], admitted, lo, hi)
				})
			}
		}
		if egress {
			egressIsolated.or(selected)
			admitted := newBitset(len(t.Targets))
			for i := range p.Spec.Egress {
				r := &p.Spec.Egress[i]
				rule := x.targetsOf(x.peers(p.Namespace, r.To))
				rule.and(x.portTargets(r.Ports))
				admitted.or(rule)
			}
			lo, hi := admitted.span()
			selected.each(func(s int) {
				orWords(egressOK[s*words:(s+1)*words], admitted, lo, hi)
			})
		}
	}

	// Targets of endpoints no ingress policy selects admit every source;
	// external hosts are never selected, so they are among them.
	notIsolated := x.everyone.clone()
	notIsolated.andNot(ingressIsolated)
	open := x.targetsOf(notIsolated)
	podTargets := x.targetsOf(x.pods.all)
	for s := range n {
		row := t.row(s)
		copy(row, ingressOK[s*words:(s+1)*words])
		row.or(open)
		if egressIsolated.has(s) {
			row.and(bitset(egressOK[s*words : (s+1)*words]))
		}
		if t.external(s) {
			row.and(podTargets)
		}
	}
	if len(w.ClusterPolicies) > 0 {
		applyTiers(w, t, x, &npRows{ingressOK: ingressOK, egressOK: egressOK, ingressIsolated: ingressIsolated, egressIsolated: egressIsolated})
	}
	return t
}

// npRows is what NetworkPolicy alone decides, as Compute built it: per
// source row, the targets whose ingress rules admit it and the targets its
// egress rules admit, and which endpoints are isolated in each direction.
type npRows struct {
	ingressOK, egressOK             []uint64
	ingressIsolated, egressIsolated bitset
}

// orWords ORs words lo..hi-1 of src into dst: rules usually concern a few
// destinations, so their target sets are sparse and the span is short.
func orWords(dst []uint64, src bitset, lo, hi int) {
	for k := lo; k < hi; k++ {
		dst[k] |= src[k]
	}
}
