package generate

// pairsPerCombo is the number of value pairs one combo covers: one per pair
// of dimensions.
const pairsPerCombo = dimensionCount * (dimensionCount - 1) / 2

// valueNumbers numbers every value of every dimension once, so that a pair of
// values becomes one small integer.
type valueNumbers struct {
	number [dimensionCount]map[string]int
	total  int
}

func newValueNumbers() valueNumbers {
	var n valueNumbers
	for i, d := range Dimensions() {
		n.number[i] = make(map[string]int, len(d.Values))
		for _, v := range d.Values {
			n.number[i][v] = n.total
			n.total++
		}
	}
	return n
}

// pairs lists the pair numbers a combo covers.
func (n valueNumbers) pairs(c combo) [pairsPerCombo]int {
	var g [dimensionCount]int
	for i, v := range c.values() {
		g[i] = n.number[i][v]
	}
	var out [pairsPerCombo]int
	k := 0
	for i := range dimensionCount {
		for j := i + 1; j < dimensionCount; j++ {
			out[k] = g[i]*n.total + g[j]
			k++
		}
	}
	return out
}

// pairSpace is the number of distinct pair numbers.
func (n valueNumbers) pairSpace() int { return n.total * n.total }

// validPairs marks every pair of values that occurs together in some combo.
func (n valueNumbers) validPairs(combos []combo) []bool {
	want := make([]bool, n.pairSpace())
	for _, c := range combos {
		for _, p := range n.pairs(c) {
			want[p] = true
		}
	}
	return want
}

// stepCount is how many steps a combo's case has: create has only the first.
func stepCount(c combo) int {
	if c.step == StepCreate {
		return 1
	}
	return 2
}

// rarityScale makes pair weights integers: a pair found in k candidates
// weighs rarityScale/k. Integers keep the choice exact on every platform.
const rarityScale = 1 << 24

// coverPairs greedily picks candidates until every wanted pair is covered or
// no candidate covers an uncovered one. Each round takes the candidate whose
// uncovered pairs weigh most, a pair weighing more the fewer candidates hold
// it: rare pairs (a namespace relabel, which needs its own step kind) are
// placed first, while there is still freedom in the other dimensions, and
// common ones fill in for free. Ties go to the candidate with fewer steps,
// then to the earlier one, which keeps the result deterministic. accept may
// refuse the round's winner, which is then never offered again; its error
// stops the search. covered is updated in place; picked holds candidate
// indexes in the order taken.
func (n valueNumbers) coverPairs(cands []combo, want, covered []bool, accept func(int) (bool, error)) ([]int, error) {
	var picked []int
	pairs := make([][pairsPerCombo]int, len(cands))
	holders := make([]int, n.pairSpace())
	for i, c := range cands {
		pairs[i] = n.pairs(c)
		for _, p := range pairs[i] {
			holders[p]++
		}
	}
	refused := make([]bool, len(cands))
	for {
		best, bestScore, bestCost := -1, 0, 0
		for i, c := range cands {
			if refused[i] {
				continue
			}
			score := 0
			for _, p := range pairs[i] {
				if want[p] && !covered[p] {
					score += rarityScale / holders[p]
				}
			}
			cost := stepCount(c)
			if score > 0 && (score > bestScore || score == bestScore && cost < bestCost) {
				best, bestScore, bestCost = i, score, cost
			}
		}
		if best < 0 {
			return picked, nil
		}
		refused[best] = true
		if accept != nil {
			ok, err := accept(best)
			if err != nil {
				return nil, err
			}
			if !ok {
				continue
			}
		}
		for _, p := range pairs[best] {
			covered[p] = true
		}
		picked = append(picked, best)
	}
}
