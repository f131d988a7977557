package compile

import (
	"encoding/binary"
	"fmt"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
)

// selectors parses each distinct label selector once per compile.
// Policies repeat a handful of selectors thousands of times, and parsing
// validates every key and value with regular expressions: it was a tenth
// of Compile. A parsed selector is immutable, so policies share it.
type selectors struct {
	parsed  map[string]parsedSelector
	scratch []byte
}

type parsedSelector struct {
	sel labels.Selector
	err error
}

func newSelectors() *selectors {
	return &selectors{parsed: map[string]parsedSelector{}}
}

// parse converts a label selector; a nil one selects nothing, as
// apimachinery defines, so callers pass nil only where the API means "unset".
func (s *selectors) parse(ls *metav1.LabelSelector) (labels.Selector, error) {
	s.scratch = appendSelectorKey(s.scratch[:0], ls)
	p, ok := s.parsed[string(s.scratch)]
	if !ok {
		sel, err := metav1.LabelSelectorAsSelector(ls)
		if err != nil {
			err = fmt.Errorf("label selector: %w", err)
		}
		p = parsedSelector{sel, err}
		s.parsed[string(s.scratch)] = p
	}
	return p.sel, p.err
}

// appendSelectorKey appends a text that two selectors share exactly when
// they read the same: labels in key order, expressions in their own order
// (which the parsed selector keeps too).
func appendSelectorKey(b []byte, ls *metav1.LabelSelector) []byte {
	if ls == nil {
		return append(b, 'n')
	}
	b = appendLabels(append(b, 's'), ls.MatchLabels)
	b = binary.AppendUvarint(b, uint64(len(ls.MatchExpressions)))
	for _, e := range ls.MatchExpressions {
		b = appendString(appendString(b, e.Key), string(e.Operator))
		b = binary.AppendUvarint(b, uint64(len(e.Values)))
		for _, v := range e.Values {
			b = appendString(b, v)
		}
	}
	return b
}
