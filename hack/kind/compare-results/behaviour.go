package main

import (
	"fmt"
	"strings"

	"github.com/netpolcheck/netpolcheck/clusters/behaviour"
	"github.com/netpolcheck/netpolcheck/reports"
)

// probedNames are the observations every run with --behaviour records.
var probedNames = []string{behaviour.EstablishedIngress, behaviour.EstablishedEgress, behaviour.HostSameNode, behaviour.HostOtherNode, behaviour.EnforcerRestart}

// checkBehaviour checks a run's behaviour probes: with an enforcer
// (measured), each observation has a finding; without one (unmeasured), the
// deny never took effect, so none could be measured.
func checkBehaviour(want string, r *reports.Results) (string, []string) {
	got := map[string]reports.Observation{}
	for _, o := range r.Probed {
		got[o.Name] = o
	}
	var problems, seen []string
	for _, name := range probedNames {
		o, ok := got[name]
		if !ok {
			problems = append(problems, fmt.Sprintf("%s: not in the results", name))
			continue
		}
		seen = append(seen, name+": "+o.Value)
		switch {
		case want == "measured" && o.Value == behaviour.NotMeasured:
			problems = append(problems, fmt.Sprintf("%s: not measured: %s", name, o.Detail))
		case want == "unmeasured" && o.Value != behaviour.NotMeasured:
			problems = append(problems, fmt.Sprintf("%s: %s (%s), but the cluster has no enforcer", name, o.Value, o.Detail))
		}
	}
	return "behaviour probes: " + strings.Join(seen, "; "), problems
}
