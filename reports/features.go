package reports

import (
	"slices"
	"strings"
)

// NotCovered is the status of a feature that no step of the run exercised.
const NotCovered Status = "not covered"

// FeatureResult says how a run went for one NetworkPolicy feature: how the
// steps that exercise it went, and the worst of them. A feature passes when
// every such step passed; it is only as good as the scenarios that cover it.
type FeatureResult struct {
	Name string `json:"name"`
	// Description says which steps exercise the feature.
	Description string `json:"description"`
	// Status is pass, fail, error, skipped, or NotCovered.
	Status Status `json:"status"`
	// Steps counts the steps exercising the feature by their status for it.
	Steps Tally `json:"steps"`
	// Failed names the steps that failed or errored for it, as "scenario/step".
	Failed []string `json:"failed,omitempty"`
	// SkipReasons say why steps were skipped for it, each reason once.
	SkipReasons []string `json:"skipReasons,omitempty"`
}

// feature decides which steps exercise a feature and how a step went for it.
type feature struct {
	name, description string
	exercised         func(s *stepFacts) bool
	// protocol, when set, judges a step by its cells of that protocol only.
	protocol string
}

// features are the features reports list, in this order.
var features = []feature{
	{name: "ingress", description: "a policy isolates pods for ingress", exercised: recorded("ingress")},
	{name: "egress", description: "a policy isolates pods for egress", exercised: recorded("egress")},
	{name: "ip-block", description: "a rule has an ipBlock peer", exercised: recorded("ip-block")},
	{name: "except", description: "an ipBlock has except ranges", exercised: recorded("except")},
	{name: "named-port", description: "a rule names a port", exercised: recorded("named-port")},
	{name: "end-port", description: "a rule has a port range (endPort)", exercised: recorded("end-port")},
	{name: "udp", description: "UDP cells under a policy", protocol: "UDP", exercised: func(s *stepFacts) bool { return s.hasProtocol("UDP") && s.policies }},
	{name: "sctp", description: "SCTP cells under a policy", protocol: "SCTP", exercised: func(s *stepFacts) bool { return s.hasProtocol("SCTP") && s.policies }},
	{name: "update", description: "a step changes a policy in force", exercised: recorded("update")},
	{name: "delete", description: "a step deletes a policy", exercised: recorded("delete")},
	{name: "relabel", description: "a step changes labels only: same policies and endpoints as the step before", exercised: recorded("relabel")},
}

// recorded is a feature the runner records in StepResult.Features.
func recorded(name string) func(*stepFacts) bool {
	return func(s *stepFacts) bool { return s.has(name) }
}

// Features tells, for each feature in a fixed order, whether the cluster
// enforced it in every step that exercises it. What a step exercises is what
// the runner recorded (StepResult.Features) and the protocols of its ports.
func Features(r *Results) []FeatureResult {
	out := make([]FeatureResult, len(features))
	for i, f := range features {
		out[i] = FeatureResult{Name: f.name, Description: f.description}
	}
	if r == nil {
		return finishFeatures(out)
	}
	for _, sc := range r.Scenarios {
		for i := range sc.Steps {
			st := &sc.Steps[i]
			facts := newStepFacts(st)
			for k, f := range features {
				if !f.exercised(facts) {
					continue
				}
				status := st.Status
				if f.protocol != "" {
					status = protocolStatus(st, f.protocol)
				}
				out[k].Steps.add(status)
				switch status {
				case Pass:
				case Skipped:
					out[k].SkipReasons = appendNew(out[k].SkipReasons, stepSkipReasons(st)...)
				default:
					out[k].Failed = append(out[k].Failed, sc.Name+"/"+st.Name)
				}
			}
		}
	}
	return finishFeatures(out)
}

// stepSkipReasons are why a step, or some of its cells, were skipped.
func stepSkipReasons(st *StepResult) []string {
	out := st.Skipped
	if st.Status == Skipped && st.Error != "" {
		out = append(slices.Clip(out), st.Error)
	}
	return out
}

// appendNew appends the values list lacks.
func appendNew(list []string, values ...string) []string {
	for _, v := range values {
		if !slices.Contains(list, v) {
			list = append(list, v)
		}
	}
	return list
}

func finishFeatures(out []FeatureResult) []FeatureResult {
	for i := range out {
		t := out[i].Steps
		switch {
		case t.Failed > 0:
			out[i].Status = Fail
		case t.Errored > 0:
			out[i].Status = Error
		case t.Passed > 0:
			out[i].Status = Pass
		case t.Skipped > 0:
			out[i].Status = Skipped
		default:
			out[i].Status = NotCovered
		}
	}
	return out
}

// protocolStatus is how a step went for its cells of one protocol: the worst
// of their verdicts, an ignored loopback cell counting as a pass. A step
// whose cells were left out (it passed in a large run) is judged by its
// per-protocol counts; one with neither keeps its own status.
func protocolStatus(st *StepResult, protocol string) Status {
	tallies := st.ProtocolCells
	if len(st.Cells) > 0 {
		tallies = TallyByProtocol(st.Cells)
	}
	t := tallies[protocol]
	switch {
	case t.Total() == 0:
		return st.Status
	case t.Failed > 0:
		return Fail
	case t.Errored > 0:
		return Error
	case t.Passed > 0:
		return Pass
	}
	return Skipped
}

// TallyByProtocol counts run cells' verdicts per protocol, an ignored
// loopback cell counting as a pass, an undefined cell not at all, and an
// unknown verdict as an error.
func TallyByProtocol(cells []Cell) map[string]Tally {
	out := map[string]Tally{}
	for _, c := range cells {
		t := out[c.Protocol]
		switch v := Status(c.Verdict); v {
		case Pass, Fail, Error, Skipped:
			t.add(v)
		case Ignored:
			t.add(Pass)
		case Undefined:
			continue
		default:
			t.add(Error)
		}
		out[c.Protocol] = t
	}
	return out
}

// stepFacts is what a step exercises: the features the runner recorded,
// and the protocols of its cells.
type stepFacts struct {
	features  []string
	protocols []string
	policies  bool
}

func newStepFacts(st *StepResult) *stepFacts {
	s := &stepFacts{features: st.Features, policies: len(st.Policies) > 0}
	for _, port := range st.Ports {
		if _, protocol, ok := strings.Cut(port, "/"); ok {
			s.protocols = append(s.protocols, protocol)
		}
	}
	return s
}

func (s *stepFacts) has(feature string) bool { return slices.Contains(s.features, feature) }

func (s *stepFacts) hasProtocol(p string) bool { return slices.Contains(s.protocols, p) }

// anyCovered says whether some step exercised some feature; reports leave
// the table out otherwise, as it would say nothing.
func anyCovered(fs []FeatureResult) bool {
	return slices.ContainsFunc(fs, func(f FeatureResult) bool { return f.Status != NotCovered })
}
