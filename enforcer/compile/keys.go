package compile

import (
	"encoding/binary"
	"slices"
)

// Caches here are keyed by canonical texts of what a result depends on.
// Strings go in with their length in front: unambiguous whatever they
// hold, and cheaper to make than quoted text.

// appendString appends s, length first.
func appendString(b []byte, s string) []byte {
	return append(binary.AppendUvarint(b, uint64(len(s))), s...)
}

// appendLabels appends a label map in key order.
func appendLabels(b []byte, labels map[string]string) []byte {
	b = binary.AppendUvarint(b, uint64(len(labels)))
	if len(labels) == 1 {
		for k, v := range labels {
			return appendString(appendString(b, k), v)
		}
	}
	// Pods and selectors carry a few labels: sort them on the stack.
	var room [8]string
	keys := room[:0]
	for k := range labels {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		b = appendString(appendString(b, k), labels[k])
	}
	return b
}
