package generate

import (
	"fmt"
	"strings"

	"github.com/netpolcheck/netpolcheck/scenarios"
	"github.com/netpolcheck/netpolcheck/scenarios/truth"
)

// simulate walks a scenario's steps through a fresh State and hands every
// step's truth table to visit, in step order.
func simulate(s *scenarios.Scenario, visit func(t *truth.TruthTable)) error {
	st, err := scenarios.NewState(s)
	if err != nil {
		return fmt.Errorf("scenario %s: model: %w", s.Name, err)
	}
	for i, step := range s.Steps {
		for j, a := range step.Actions {
			change, err := st.Resolve(a)
			if err == nil {
				err = st.Commit(change)
			}
			if err != nil {
				return fmt.Errorf("scenario %s: steps[%d].actions[%d]: %w", s.Name, i, j, err)
			}
		}
		visit(truth.Compute(st.World()))
	}
	return nil
}

// truthKey is what pruning compares: the case's plain tags, then the verdict
// bits of every step's truth table. Two cases with equal keys look alike to a
// tag filter and cannot disagree on any cell of any step. The key is exact (no
// hash), so two different cases never collide.
func truthKey(c combo) (string, error) {
	var b strings.Builder
	b.WriteString(strings.Join(plainTags(c), ","))
	err := simulate(newCase(c), func(t *truth.TruthTable) {
		b.WriteByte('|')
		b.WriteString(tableBits(t))
	})
	if err != nil {
		return "", err
	}
	return b.String(), nil
}

// tableBits packs a table's verdicts, in Cells order, eight to a byte. Every
// generated case has the same endpoints and targets, so equal bits mean equal
// tables.
func tableBits(t *truth.TruthTable) string {
	var out []byte
	var cur byte
	n := 0
	for cell := range t.Cells() {
		if cell.Allowed {
			cur |= 1 << (n % 8)
		}
		n++
		if n%8 == 0 {
			out = append(out, cur)
			cur = 0
		}
	}
	if n%8 != 0 {
		out = append(out, cur)
	}
	return string(out)
}

// truthKeys computes truth keys on demand and remembers them: the quick
// profile needs only the keys of the combos it picks and of the earlier ones
// with the same plain tags, about a hundred of the 7,950 valid combos.
type truthKeys struct {
	combos []combo
	keys   []string
	known  []bool
	// alike lists, per plain tag set, the combos carrying it in order: only
	// those can share a key.
	alike map[string][]int
	tagOf []string
}

func newTruthKeys(combos []combo) *truthKeys {
	k := &truthKeys{
		combos: combos,
		keys:   make([]string, len(combos)),
		known:  make([]bool, len(combos)),
		alike:  map[string][]int{},
		tagOf:  make([]string, len(combos)),
	}
	for i, c := range combos {
		t := strings.Join(plainTags(c), ",")
		k.tagOf[i] = t
		k.alike[t] = append(k.alike[t], i)
	}
	return k
}

// key is combo i's truth key.
func (k *truthKeys) key(i int) (string, error) {
	if !k.known[i] {
		key, err := truthKey(k.combos[i])
		if err != nil {
			return "", fmt.Errorf("prune: %w", err)
		}
		k.keys[i], k.known[i] = key, true
	}
	return k.keys[i], nil
}

// first tells whether no earlier combo has combo i's key, that is whether
// pruning over the whole enumeration keeps it.
func (k *truthKeys) first(i int) (bool, error) {
	mine, err := k.key(i)
	if err != nil {
		return false, err
	}
	for _, j := range k.alike[k.tagOf[i]] {
		if j >= i {
			break
		}
		theirs, err := k.key(j)
		if err != nil {
			return false, err
		}
		if theirs == mine {
			return false, nil
		}
	}
	return true, nil
}
