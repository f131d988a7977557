package truth

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// labelIndex answers label selectors over a fixed list of labelled items with
// set algebra: every key and every key=value pair maps to the set of items
// carrying it, so a selector costs a few word operations per requirement
// instead of a map lookup per item. This is Compute's matcher; Explain's
// selectorMatches is written separately on purpose.
type labelIndex struct {
	size   int
	all    bitset
	byKey  map[string]bitset
	byPair map[string]map[string]bitset
}

func newLabelIndex(size int) *labelIndex {
	x := &labelIndex{
		size:   size,
		all:    newBitset(size),
		byKey:  map[string]bitset{},
		byPair: map[string]map[string]bitset{},
	}
	return x
}

// add records the labels of item i; items not added match no selector.
func (x *labelIndex) add(i int, labels map[string]string) {
	x.all.set(i)
	for k, v := range labels {
		keySet, found := x.byKey[k]
		if !found {
			keySet = newBitset(x.size)
			x.byKey[k] = keySet
			x.byPair[k] = map[string]bitset{}
		}
		keySet.set(i)
		pairSet, found := x.byPair[k][v]
		if !found {
			pairSet = newBitset(x.size)
			x.byPair[k][v] = pairSet
		}
		pairSet.set(i)
	}
}

// anyOf is the set of items whose label key has one of values.
func (x *labelIndex) anyOf(key string, values []string) bitset {
	s := newBitset(x.size)
	for _, v := range values {
		if vs, found := x.byPair[key][v]; found {
			s.or(vs)
		}
	}
	return s
}

// matching is the set of items a selector selects. An invalid selector
// selects nothing (see the package documentation).
func (x *labelIndex) matching(sel *metav1.LabelSelector) bitset {
	s := x.all.clone()
	for k, v := range sel.MatchLabels {
		vs, found := x.byPair[k][v]
		if !found {
			return newBitset(x.size)
		}
		s.and(vs)
	}
	for _, req := range sel.MatchExpressions {
		switch req.Operator {
		case metav1.LabelSelectorOpIn:
			if len(req.Values) == 0 {
				return newBitset(x.size)
			}
			s.and(x.anyOf(req.Key, req.Values))
		case metav1.LabelSelectorOpNotIn:
			if len(req.Values) == 0 {
				return newBitset(x.size)
			}
			s.andNot(x.anyOf(req.Key, req.Values))
		case metav1.LabelSelectorOpExists:
			if len(req.Values) != 0 {
				return newBitset(x.size)
			}
			keySet, found := x.byKey[req.Key]
			if !found {
				return newBitset(x.size)
			}
			s.and(keySet)
		case metav1.LabelSelectorOpDoesNotExist:
			if len(req.Values) != 0 {
				return newBitset(x.size)
			}
			if keySet, found := x.byKey[req.Key]; found {
				s.andNot(keySet)
			}
		default:
			return newBitset(x.size)
		}
	}
	return s
}
