package runner

import (
	"cmp"
	"slices"

	"github.com/netpolcheck/netpolcheck/scenarios"
)

// A run's wall time is its longest lane. Scenarios that share an exclusive
// external host address (kind's hosts are containers with one address), or
// a host name (kind names the container after it), cannot overlap: started
// side by side, all but one would wait, each holding a lane. So they form one chain that runs in one lane, those of a
// model next to each other so that each hands its cluster to the next.
// Chains and scenarios that create or delete pods and namespaces (seconds
// per step on a real cluster) start first, so that the short ones fill the
// lanes around them at the end instead of leaving one lane running alone.

// schedule returns the run's units in the order they start: each unit is
// scenario indexes that run one after another in one lane.
func schedule(scns []*scenarios.Scenario, plans []modelPlan, exclusiveHosts bool) [][]int {
	chainOf := make([]int, len(scns)) // index of the chain's first scenario; -1 for none
	for i := range chainOf {
		chainOf[i] = -1
	}
	if exclusiveHosts {
		seen := map[string]int{} // "ip " or "name " and the host's → a scenario with it
		for i, s := range scns {
			for _, h := range s.Model.ExternalHosts {
				for _, key := range []string{"ip " + h.IP, "name " + h.Name} {
					if j, ok := seen[key]; ok {
						join(chainOf, i, j)
					} else {
						seen[key] = i
					}
				}
			}
			if len(s.Model.ExternalHosts) > 0 && chainOf[i] < 0 {
				chainOf[i] = i
			}
		}
	}
	chains := map[int][]int{}
	var first, long, rest [][]int
	for i, s := range scns {
		switch root := find(chainOf, i); {
		case root >= 0:
			if _, ok := chains[root]; !ok {
				first = append(first, nil) // placeholder, in the chains' order
			}
			chains[root] = append(chains[root], i)
		case reshapes(s):
			long = append(long, []int{i})
		default:
			rest = append(rest, []int{i})
		}
	}
	var roots []int
	for root := range chains {
		roots = append(roots, root)
	}
	slices.Sort(roots)
	for k, root := range roots {
		chain := chains[root]
		slices.SortStableFunc(chain, func(a, b int) int { return cmp.Compare(plans[a].key, plans[b].key) })
		first[k] = chain
	}
	return slices.Concat(first, long, rest)
}

// find is the chain of scenario i: the lowest index linked to it, or -1.
func find(chainOf []int, i int) int {
	for chainOf[i] >= 0 && chainOf[i] != i {
		i = chainOf[i]
	}
	return chainOf[i]
}

// join links scenario i to the chain of scenario j.
func join(chainOf []int, i, j int) {
	if chainOf[i] < 0 {
		chainOf[i] = i
	}
	a, b := find(chainOf, i), find(chainOf, j)
	if a > b {
		a, b = b, a
	}
	chainOf[b] = a
}

// reshapes tells whether a scenario creates or deletes pods or namespaces.
func reshapes(s *scenarios.Scenario) bool {
	for _, step := range s.Steps {
		for _, a := range step.Actions {
			if a.CreatePod != nil || a.DeletePod != "" || a.CreateNamespace != nil || a.DeleteNamespace != "" {
				return true
			}
		}
	}
	return false
}
