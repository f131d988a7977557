package truth

import "testing"

// bytePicker turns fuzz input into the generator's choices; once the bytes
// run out every choice is 0, so any input gives a finite, valid draw.
func bytePicker(data []byte) func(n int) int {
	return func(n int) int {
		if n <= 0 || len(data) == 0 {
			return 0
		}
		v := int(data[0])
		data = data[1:]
		if n > 256 {
			v = v<<8 | int(next(&data))
		}
		return v % n
	}
}

func next(data *[]byte) byte {
	if len(*data) == 0 {
		return 0
	}
	b := (*data)[0]
	*data = (*data)[1:]
	return b
}

func FuzzCompute(f *testing.F) {
	f.Add([]byte{})
	f.Add([]byte{3, 1, 2, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10})
	f.Add([]byte{7, 2, 5, 99, 42, 17, 250, 3, 3, 3, 80, 0, 1, 1, 1, 200, 13, 77})
	f.Add([]byte("netpolcheck truth oracle fuzz seed with enough bytes for several policies"))
	f.Fuzz(func(t *testing.T, data []byte) {
		pick := bytePicker(data)
		g := worldGenerator{pick: pick, wild: pick(2) == 1}
		pods, namespaces, policies := 1+pick(8), 1+pick(3), pick(7)
		w := g.world(pods, namespaces, policies)
		g.addClusterPolicies(w, pick(5))
		checkAgreement(t, w)
		if naiveDisagreements(t, w, 5) > 0 {
			t.Fatal("Compute disagrees with the naive ClusterNetworkPolicy evaluator")
		}
	})
}
