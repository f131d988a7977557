package truth

import (
	"math"
	"math/rand/v2"
	"net/netip"
	"testing"

	"github.com/netpolcheck/netpolcheck/scenarios"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	k8slabels "k8s.io/apimachinery/pkg/labels"
	npav1alpha2 "sigs.k8s.io/network-policy-api/apis/v1alpha2"
)

// A deliberately naive evaluator of ClusterNetworkPolicy plus NetworkPolicy,
// one cell at a time, read from the API's type documentation:
//
//   - Tiers in order: Admin, NetworkPolicy, Baseline, then allow.
//   - In a tier, the policy with the lowest priority number among those
//     with a matching rule decides, with its first matching rule. If several
//     such policies share that priority and their rules' actions differ, the
//     API does not say which applies: undefined.
//   - Accept and Deny decide the direction; Pass goes to the next tier.
//   - NetworkPolicy decides for a pod it isolates in that direction.
//   - A pod's traffic to itself is not subject to ClusterNetworkPolicy.
//
// It uses apimachinery's label selectors, which neither Compute nor Explain
// use, and takes the NetworkPolicy side from Explain on the World without its
// cluster policies (that part is checked against Compute elsewhere).

type naiveOutcome int

const (
	naiveNoMatch naiveOutcome = iota
	naiveAccept
	naiveDeny
	naivePass
	naiveUndefined
)

type naiveEnd struct {
	pod  *scenarios.Pod // nil for an external host
	addr netip.Addr
	port scenarios.Port // the destination's served port; only on the destination
}

func naiveSelects(sel *metav1.LabelSelector, set map[string]string) bool {
	s, err := metav1.LabelSelectorAsSelector(sel)
	return err == nil && s.Matches(k8slabels.Set(set))
}

func naiveNamespaceLabels(w *scenarios.World, ns string) map[string]string {
	for _, n := range w.Namespaces {
		if n.Name == ns {
			return n.Labels
		}
	}
	return nil
}

// naivePodMatches: a pod peer or subject holds pods whose namespace matches
// namespaceSelector and whose labels match podSelector.
func naivePodMatches(w *scenarios.World, p *npav1alpha2.NamespacedPod, pod *scenarios.Pod) bool {
	return naiveSelects(&p.NamespaceSelector, naiveNamespaceLabels(w, pod.Namespace)) && naiveSelects(&p.PodSelector, pod.Labels)
}

func naiveSubject(w *scenarios.World, p *npav1alpha2.ClusterNetworkPolicy, pod *scenarios.Pod) bool {
	s := p.Spec.Subject
	switch {
	case s.Namespaces != nil && s.Pods == nil:
		return naiveSelects(s.Namespaces, naiveNamespaceLabels(w, pod.Namespace))
	case s.Pods != nil && s.Namespaces == nil:
		return naivePodMatches(w, s.Pods, pod)
	}
	return false
}

// naivePorts: no protocols means any; a named port is the destination pod's port name.
func naivePorts(protocols []npav1alpha2.ClusterNetworkPolicyProtocol, dst naiveEnd) bool {
	if len(protocols) == 0 {
		return true
	}
	for _, p := range protocols {
		if p.DestinationNamedPort != "" && p.TCP == nil && p.UDP == nil && p.SCTP == nil {
			if dst.pod != nil && dst.port.Name == p.DestinationNamedPort {
				return true
			}
			continue
		}
		for _, c := range []struct {
			set   bool
			proto scenarios.Protocol
			port  func() *npav1alpha2.Port
		}{
			{p.TCP != nil, scenarios.TCP, func() *npav1alpha2.Port { return p.TCP.DestinationPort }},
			{p.UDP != nil, scenarios.UDP, func() *npav1alpha2.Port { return p.UDP.DestinationPort }},
			{p.SCTP != nil, scenarios.SCTP, func() *npav1alpha2.Port { return p.SCTP.DestinationPort }},
		} {
			if !c.set {
				continue
			}
			if dst.port.Protocol != c.proto {
				break
			}
			port := c.port()
			switch {
			case port == nil:
				return true
			case port.Range != nil && port.Range.Start <= dst.port.Port && dst.port.Port <= port.Range.End:
				return true
			case port.Range == nil && port.Number == dst.port.Port:
				return true
			}
			break
		}
	}
	return false
}

// naiveFailClosed: a peer that sets no field, or several, matches
// everything for Deny and Pass and nothing for Accept.
func naiveFailClosed(action npav1alpha2.ClusterNetworkPolicyRuleAction) bool {
	return action == npav1alpha2.ClusterNetworkPolicyRuleActionDeny || action == npav1alpha2.ClusterNetworkPolicyRuleActionPass
}

func naiveIngressRule(w *scenarios.World, r npav1alpha2.ClusterNetworkPolicyIngressRule, src, dst naiveEnd) bool {
	if !naivePorts(r.Protocols, dst) {
		return false
	}
	for _, peer := range r.From {
		switch {
		case peer.Namespaces != nil && peer.Pods != nil, peer.Namespaces == nil && peer.Pods == nil:
			if naiveFailClosed(r.Action) {
				return true
			}
		case src.pod == nil:
		case peer.Namespaces != nil && naiveSelects(peer.Namespaces, naiveNamespaceLabels(w, src.pod.Namespace)):
			return true
		case peer.Pods != nil && naivePodMatches(w, peer.Pods, src.pod):
			return true
		}
	}
	return false
}

func naiveEgressRule(w *scenarios.World, r npav1alpha2.ClusterNetworkPolicyEgressRule, dst naiveEnd) bool {
	if !naivePorts(r.Protocols, dst) {
		return false
	}
	for _, peer := range r.To {
		n := 0
		for _, set := range []bool{peer.Namespaces != nil, peer.Pods != nil, peer.Nodes != nil, peer.Networks != nil, peer.DomainNames != nil} {
			if set {
				n++
			}
		}
		if n != 1 {
			if naiveFailClosed(r.Action) {
				return true
			}
			continue
		}
		switch {
		case peer.Networks != nil:
			for _, c := range peer.Networks {
				if pfx, err := netip.ParsePrefix(string(c)); err == nil && pfx.Masked().Contains(dst.addr) {
					return true
				}
			}
		case dst.pod == nil:
		case peer.Namespaces != nil && naiveSelects(peer.Namespaces, naiveNamespaceLabels(w, dst.pod.Namespace)):
			return true
		case peer.Pods != nil && naivePodMatches(w, peer.Pods, dst.pod):
			return true
		}
	}
	return false
}

// naiveTier is one tier's outcome for one direction of a cell.
func naiveTier(w *scenarios.World, tier npav1alpha2.Tier, egress bool, src, dst naiveEnd) naiveOutcome {
	best := int32(math.MaxInt32)
	actions := map[npav1alpha2.ClusterNetworkPolicyRuleAction]bool{}
	subject := dst.pod
	if egress {
		subject = src.pod
	}
	for _, p := range w.ClusterPolicies {
		if p.Spec.Tier != tier || !naiveSubject(w, p, subject) {
			continue
		}
		var action npav1alpha2.ClusterNetworkPolicyRuleAction
		if egress {
			for _, r := range p.Spec.Egress {
				if naiveEgressRule(w, r, dst) {
					action = r.Action
					break
				}
			}
		} else {
			for _, r := range p.Spec.Ingress {
				if naiveIngressRule(w, r, src, dst) {
					action = r.Action
					break
				}
			}
		}
		switch {
		case action == "":
		case p.Spec.Priority < best:
			best = p.Spec.Priority
			actions = map[npav1alpha2.ClusterNetworkPolicyRuleAction]bool{action: true}
		case p.Spec.Priority == best:
			actions[action] = true
		}
	}
	switch {
	case len(actions) == 0:
		return naiveNoMatch
	case len(actions) > 1:
		return naiveUndefined
	case actions[npav1alpha2.ClusterNetworkPolicyRuleActionAccept]:
		return naiveAccept
	case actions[npav1alpha2.ClusterNetworkPolicyRuleActionDeny]:
		return naiveDeny
	}
	return naivePass
}

// naiveDirection is one direction's verdict: allowed, and undefined.
func naiveDirection(w *scenarios.World, egress bool, src, dst naiveEnd, np Side) (bool, bool) {
	switch naiveTier(w, npav1alpha2.AdminTier, egress, src, dst) {
	case naiveAccept:
		return true, false
	case naiveDeny:
		return false, false
	case naiveUndefined:
		return false, true
	}
	if np.Isolated {
		return np.Allowed, false
	}
	switch naiveTier(w, npav1alpha2.BaselineTier, egress, src, dst) {
	case naiveDeny:
		return false, false
	case naiveUndefined:
		return false, true
	}
	return true, false
}

// naiveCell is the verdict of one cell: allowed, and undefined.
func naiveCell(w, npOnly *scenarios.World, src, dst naiveEnd, srcID, dstID string) (bool, bool) {
	e, err := Explain(npOnly, srcID, dstID, dst.port.Port, dst.port.Protocol)
	if err != nil {
		panic(err)
	}
	if src.pod != nil && src.pod == dst.pod {
		return e.Allowed, false // loopback: NetworkPolicy alone
	}
	egAllowed, egUndef, inAllowed, inUndef := true, false, true, false
	if src.pod != nil {
		egAllowed, egUndef = naiveDirection(w, true, src, dst, e.Egress)
	}
	if dst.pod != nil {
		inAllowed, inUndef = naiveDirection(w, false, src, dst, e.Ingress)
	}
	if (!egAllowed && !egUndef) || (!inAllowed && !inUndef) {
		return false, false
	}
	if egUndef || inUndef {
		return false, true
	}
	return true, false
}

// naiveDisagreements counts the cells where Compute differs from the naive
// evaluator, reporting the first few (none when t is nil).
func naiveDisagreements(t *testing.T, w *scenarios.World, report int) int {
	npOnly := *w
	npOnly.ClusterPolicies = nil
	table := Compute(w)
	bad := 0
	for c := range table.Cells() {
		s, tg := table.Endpoints[c.Source], table.Targets[c.Target]
		d := table.Endpoints[tg.Endpoint]
		src := naiveEnd{pod: s.Pod, addr: parseAddr(s.IP)}
		dst := naiveEnd{pod: d.Pod, addr: parseAddr(d.IP), port: tg.Port}
		allowed, undefined := naiveCell(w, &npOnly, src, dst, s.ID, d.ID)
		if allowed != c.Allowed || undefined != c.Undefined {
			bad++
			if t != nil && bad <= report {
				e, _ := Explain(w, s.ID, d.ID, tg.Port.Port, tg.Port.Protocol)
				t.Errorf("%s -> %s %s: Compute allowed=%v undefined=%v, naive allowed=%v undefined=%v; Explain: %s",
					s.ID, d.ID, tg.Port, c.Allowed, c.Undefined, allowed, undefined, e)
			}
		}
	}
	return bad
}

// TestComputeAgreesWithNaiveClusterEvaluator compares the oracle with the
// naive evaluator over random worlds of ClusterNetworkPolicies,
// NetworkPolicies, pods and namespaces, and Compute with Explain on the same
// worlds (undefined cells included).
func TestComputeAgreesWithNaiveClusterEvaluator(t *testing.T) {
	worlds := 2000
	if testing.Short() {
		worlds = 300
	}
	for seed := range int64(worlds) {
		pods, namespaces, policies, cnps := 2+int(seed%9), 1+int(seed%4), int(seed%5), 1+int(seed%7)
		w := GenerateWorldWithClusterPolicies(seed, pods, namespaces, policies, cnps)
		if naiveDisagreements(t, w, 5) > 0 {
			t.Fatalf("GenerateWorldWithClusterPolicies(%d, %d, %d, %d, %d) disagrees with the naive evaluator", seed, pods, namespaces, policies, cnps)
		}
		checkAgreement(t, w)
		if t.Failed() {
			t.Fatalf("GenerateWorldWithClusterPolicies(%d, %d, %d, %d, %d): Compute and Explain disagree", seed, pods, namespaces, policies, cnps)
		}
	}
}

// TestComputeAgreesWithNaiveClusterEvaluatorOnInvalidInput: peers with no
// field or two, subjects with none, reversed ranges and bad CIDRs get the
// same meaning everywhere (fail closed where the API says so).
func TestComputeAgreesWithNaiveClusterEvaluatorOnInvalidInput(t *testing.T) {
	worlds := 1000
	if testing.Short() {
		worlds = 200
	}
	for seed := range uint64(worlds) {
		r := rand.New(rand.NewPCG(seed, 11))
		g := worldGenerator{pick: r.IntN, wild: true}
		w := g.world(2+int(seed%8), 1+int(seed%3), int(seed%4))
		g.addClusterPolicies(w, 1+int(seed%6))
		if naiveDisagreements(t, w, 5) > 0 {
			t.Fatalf("wild world %d disagrees with the naive evaluator", seed)
		}
		checkAgreement(t, w)
		if t.Failed() {
			t.Fatalf("wild world %d: Compute and Explain disagree", seed)
		}
	}
}

// TestNaiveEvaluatorCatchesPlantedMutants plants each known tier mistake in
// Compute and requires the differential to find it within the worlds the
// test above runs.
func TestNaiveEvaluatorCatchesPlantedMutants(t *testing.T) {
	for _, m := range []struct {
		name string
		m    tierMutation
	}{
		{"Pass acts as Deny", mutationPassAsDeny},
		{"Baseline consulted before NetworkPolicy for an isolated pod", mutationBaselineIfIsolated},
		{"priorities run from the highest number", mutationHighestPriorityFirst},
		{"equal priorities ordered by name, never undefined", mutationEqualPriorityByName},
	} {
		t.Run(m.name, func(t *testing.T) {
			mutation = m.m
			defer func() { mutation = mutationNone }()
			for seed := range int64(300) {
				w := GenerateWorldWithClusterPolicies(seed, 2+int(seed%9), 1+int(seed%4), int(seed%5), 1+int(seed%7))
				if naiveDisagreements(nil, w, 0) > 0 {
					return
				}
			}
			t.Errorf("mutant %q survived 300 worlds", m.name)
		})
	}
}
