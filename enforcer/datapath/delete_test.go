package datapath

import (
	"testing"

	"github.com/netpolcheck/netpolcheck/enforcer/bpf"
)

// deleteKeys deletes in batches that stop at the first key already gone;
// every present key must still go, wherever the gaps are.
func TestIntegrationDeleteKeysSkipsMissing(t *testing.T) {
	d := openTest(t)
	tests := []struct {
		name    string
		present []bool
	}{
		{"none", nil},
		{"all present", []bool{true, true, true}},
		{"gap in the middle", []bool{true, true, false, true, true}},
		{"gaps at both ends", []bool{false, true, true, false}},
		{"consecutive gaps", []bool{true, false, false, false, true}},
		{"all missing", []bool{false, false}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var keys []bpf.PolicyEndpointKey
			for i, present := range tt.present {
				k := bpf.PolicyEndpointKey{Generation: 77, Addr: uint32(i + 1)}
				keys = append(keys, k)
				if present {
					if err := d.objs.Endpoints.Put(&k, &bpf.PolicyEndpointValue{Identity: 1}); err != nil {
						t.Fatalf("put: %v", err)
					}
				}
			}
			if err := deleteKeys(d.objs.Endpoints, keys); err != nil {
				t.Fatalf("deleteKeys: %v", err)
			}
			if got := generations(t, d)["endpoints"]; len(got) != 0 {
				t.Fatalf("entries left: %v", got)
			}
		})
	}
}
