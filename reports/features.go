package reports

import (
	"slices"
	"strings"

	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"sigs.k8s.io/yaml"
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
	{name: "ingress", description: "a policy isolates pods for ingress", exercised: func(s *stepFacts) bool { return s.any(func(p *policyFacts) bool { return p.ingress }) }},
	{name: "egress", description: "a policy isolates pods for egress", exercised: func(s *stepFacts) bool { return s.any(func(p *policyFacts) bool { return p.egress }) }},
	{name: "ip-block", description: "a rule has an ipBlock peer", exercised: func(s *stepFacts) bool { return s.any(func(p *policyFacts) bool { return p.ipBlock }) }},
	{name: "except", description: "an ipBlock has except ranges", exercised: func(s *stepFacts) bool { return s.any(func(p *policyFacts) bool { return p.except }) }},
	{name: "named-port", description: "a rule names a port", exercised: func(s *stepFacts) bool { return s.any(func(p *policyFacts) bool { return p.namedPort }) }},
	{name: "end-port", description: "a rule has a port range (endPort)", exercised: func(s *stepFacts) bool { return s.any(func(p *policyFacts) bool { return p.endPort }) }},
	{name: "udp", description: "UDP cells under a policy", protocol: "UDP", exercised: func(s *stepFacts) bool { return s.hasProtocol("UDP") && len(s.policies) > 0 }},
	{name: "sctp", description: "SCTP cells under a policy", protocol: "SCTP", exercised: func(s *stepFacts) bool { return s.hasProtocol("SCTP") && len(s.policies) > 0 }},
	{name: "update", description: "a step changes a policy in force", exercised: func(s *stepFacts) bool { return s.updated }},
	{name: "delete", description: "a step deletes a policy", exercised: func(s *stepFacts) bool { return s.deleted }},
	{name: "relabel", description: "a step changes labels only: same policies and endpoints as the step before", exercised: func(s *stepFacts) bool { return s.relabelled }},
}

// Features tells, for each feature in a fixed order, whether the cluster
// enforced it in every step that exercises it. What a step exercises is read
// from the results alone: the policies in force after it, its ports, and the
// step before it, so that `netpolcheck report` gives the same table.
func Features(r *Results) []FeatureResult {
	out := make([]FeatureResult, len(features))
	for i, f := range features {
		out[i] = FeatureResult{Name: f.name, Description: f.description}
	}
	if r == nil {
		return finishFeatures(out)
	}
	parsed := map[string]*policyFacts{}
	for _, sc := range r.Scenarios {
		var prev *stepFacts
		for i := range sc.Steps {
			st := &sc.Steps[i]
			facts := newStepFacts(st, prev, parsed)
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
			prev = facts
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
// loopback cell counting as a pass and an unknown verdict as an error.
func TallyByProtocol(cells []Cell) map[string]Tally {
	out := map[string]Tally{}
	for _, c := range cells {
		t := out[c.Protocol]
		switch v := Status(c.Verdict); v {
		case Pass, Fail, Error, Skipped:
			t.add(v)
		case Ignored:
			t.add(Pass)
		default:
			t.add(Error)
		}
		out[c.Protocol] = t
	}
	return out
}

// stepFacts is what a step exercises.
type stepFacts struct {
	policies   []*policyFacts
	protocols  []string
	endpoints  []string
	updated    bool
	deleted    bool
	relabelled bool
}

func newStepFacts(st *StepResult, prev *stepFacts, parsed map[string]*policyFacts) *stepFacts {
	s := &stepFacts{endpoints: st.Endpoints}
	for _, text := range st.Policies {
		p, ok := parsed[text]
		if !ok {
			p = parsePolicyFacts(text)
			parsed[text] = p
		}
		if p != nil {
			s.policies = append(s.policies, p)
		}
	}
	for _, port := range st.Ports {
		if _, protocol, ok := strings.Cut(port, "/"); ok {
			s.protocols = append(s.protocols, protocol)
		}
	}
	if prev == nil {
		return s
	}
	now := map[string]string{}
	for _, p := range s.policies {
		now[p.key] = p.text
	}
	for _, p := range prev.policies {
		text, ok := now[p.key]
		switch {
		case !ok:
			s.deleted = true
		case text != p.text:
			s.updated = true
		}
	}
	// Results do not record a step's actions; a step that leaves policies and
	// endpoints as they were can only have changed labels.
	s.relabelled = len(s.policies) == len(prev.policies) && s.samePolicies(prev) && slices.Equal(s.endpoints, prev.endpoints)
	return s
}

func (s *stepFacts) samePolicies(prev *stepFacts) bool {
	for i := range s.policies {
		if s.policies[i].text != prev.policies[i].text {
			return false
		}
	}
	return true
}

func (s *stepFacts) any(pred func(*policyFacts) bool) bool {
	return slices.ContainsFunc(s.policies, pred)
}

func (s *stepFacts) hasProtocol(p string) bool { return slices.Contains(s.protocols, p) }

// policyFacts is what one policy in force uses.
type policyFacts struct {
	key, text                                            string
	ingress, egress, ipBlock, except, namedPort, endPort bool
}

// parsePolicyFacts reads a policy as the runner renders it; nil for text that
// is no policy (the runner writes "# ns/name: error" when it cannot render one).
func parsePolicyFacts(text string) *policyFacts {
	var p networkingv1.NetworkPolicy
	if err := yaml.Unmarshal([]byte(text), &p); err != nil || p.Name == "" {
		return nil
	}
	f := &policyFacts{key: p.Namespace + "/" + p.Name, text: text}
	for _, t := range p.Spec.PolicyTypes {
		f.ingress = f.ingress || t == networkingv1.PolicyTypeIngress
		f.egress = f.egress || t == networkingv1.PolicyTypeEgress
	}
	if len(p.Spec.PolicyTypes) == 0 {
		// The API server's defaulting: Ingress always, Egress when there are egress rules.
		f.ingress, f.egress = true, len(p.Spec.Egress) > 0
	}
	var peers []networkingv1.NetworkPolicyPeer
	var ports []networkingv1.NetworkPolicyPort
	for _, r := range p.Spec.Ingress {
		peers, ports = append(peers, r.From...), append(ports, r.Ports...)
	}
	for _, r := range p.Spec.Egress {
		peers, ports = append(peers, r.To...), append(ports, r.Ports...)
	}
	for _, peer := range peers {
		if peer.IPBlock != nil {
			f.ipBlock = true
			f.except = f.except || len(peer.IPBlock.Except) > 0
		}
	}
	for _, port := range ports {
		f.namedPort = f.namedPort || (port.Port != nil && port.Port.Type == intstr.String)
		f.endPort = f.endPort || port.EndPort != nil
	}
	return f
}

// anyCovered says whether some step exercised some feature; reports leave
// the table out otherwise, as it would say nothing.
func anyCovered(fs []FeatureResult) bool {
	return slices.ContainsFunc(fs, func(f FeatureResult) bool { return f.Status != NotCovered })
}
