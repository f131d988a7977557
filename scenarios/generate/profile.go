package generate

import (
	"fmt"
	"slices"

	"github.com/netpolcheck/netpolcheck/scenarios"
)

// Profile names a set of generated cases.
type Profile string

// The profiles.
const (
	// Quick covers every pair of dimension values that can occur together,
	// in few steps: for pull requests.
	Quick Profile = "quick"
	// Full is every valid combination that survives pruning: for nightly
	// runs and certification.
	Full Profile = "full"
)

// Profiles lists the profiles, for flag help and validation.
func Profiles() []Profile { return []Profile{Quick, Full} }

// Cases returns the cases of a profile, validated and pruned, in enumeration
// order. It is deterministic: the same version of the generator returns the
// same cases with the same names in the same order.
func Cases(p Profile) ([]*scenarios.Scenario, error) {
	picked, err := selection(p, true)
	if err != nil {
		return nil, err
	}
	return materialize(picked)
}

// selection picks a profile's combos. Without pruning no truth table is
// computed, which is what the benchmark compares against.
func selection(p Profile, prune bool) ([]combo, error) {
	if p != Quick && p != Full {
		return nil, fmt.Errorf("unknown profile %q: want quick or full", p)
	}
	valid := validCombos()
	var keys *truthKeys
	if prune {
		keys = newTruthKeys(valid)
	}
	quick, err := quickIndexes(valid, keys)
	if err != nil {
		return nil, err
	}
	if p == Quick {
		return pick(valid, quick), nil
	}
	full, err := fullIndexes(valid, keys)
	if err != nil {
		return nil, err
	}
	return pick(valid, full), nil
}

// quickIndexes is the greedy all-pairs cover of every pair of values that
// occurs in a valid combo. With keys, a combo that pruning over the whole
// enumeration would drop is refused, so quick holds no two look-alikes and is
// a subset of full. The result is in enumeration order.
func quickIndexes(valid []combo, keys *truthKeys) ([]int, error) {
	n := newValueNumbers()
	want := n.validPairs(valid)
	var accept func(int) (bool, error)
	if keys != nil {
		accept = keys.first
	}
	picked, err := n.coverPairs(valid, want, make([]bool, n.pairSpace()), accept)
	if err != nil {
		return nil, fmt.Errorf("quick profile: %w", err)
	}
	slices.Sort(picked)
	return picked, nil
}

// fullIndexes is every valid combo, with pruning applied in enumeration
// order: a combo goes when an earlier kept one has the same key. The result
// is in enumeration order.
func fullIndexes(valid []combo, keys *truthKeys) ([]int, error) {
	seen := map[string]bool{}
	var out []int
	for i := range valid {
		if keys != nil {
			k, err := keys.key(i)
			if err != nil {
				return nil, fmt.Errorf("full profile: %w", err)
			}
			if seen[k] {
				continue
			}
			seen[k] = true
		}
		out = append(out, i)
	}
	return out, nil
}

// materialize builds and validates the cases of the picked combos.
func materialize(picked []combo) ([]*scenarios.Scenario, error) {
	out := make([]*scenarios.Scenario, len(picked))
	for i, c := range picked {
		s := newCase(c)
		if err := s.Validate(); err != nil {
			return nil, fmt.Errorf("generated case %s is invalid: %w", s.Name, err)
		}
		out[i] = s
	}
	return out, nil
}

func pick(combos []combo, indexes []int) []combo {
	out := make([]combo, len(indexes))
	for i, k := range indexes {
		out[i] = combos[k]
	}
	return out
}
