package generate

import (
	"fmt"
	"slices"
	"strings"

	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	npav1alpha2 "sigs.k8s.io/network-policy-api/apis/v1alpha2"

	"github.com/netpolcheck/netpolcheck/scenarios"
	"github.com/netpolcheck/netpolcheck/scenarios/truth"
)

// ClusterNetworkPolicy cases: a second family of generated cases, on the
// same model, over dimensions of their own. Each case applies, in one step,
// a ClusterNetworkPolicy whose subject is in namespace x and whose one rule
// (on 80/TCP) names a peer in namespace y, with, depending on the case, a
// second ClusterNetworkPolicy that decides part of the same cells earlier or
// at the same priority, and a NetworkPolicy isolating x.

// The ClusterNetworkPolicy dimensions, in enumeration and naming order.
const (
	DimTier         = "tier"
	DimAction       = "action"
	DimCNPDirection = "cnp-direction"
	DimCNPSubject   = "cnp-subject"
	DimCNPPeer      = "cnp-peer"
	DimCNPOrder     = "cnp-order"
	DimNetpol       = "netpol"
)

// Order values: what the second ClusterNetworkPolicy does.
const (
	OrderSingle  = "single"  // none: the case's policy alone
	OrderEarlier = "earlier" // a lower priority number with the opposite action, for y/c
	OrderEqual   = "equal"   // the same priority with a different action, for y/c: undefined
)

// Netpol values: the NetworkPolicy beside the cluster policy.
const (
	NetpolNone     = "none"     // none
	NetpolSame     = "same"     // isolates x in the cluster policy's direction, admitting y/b
	NetpolOpposite = "opposite" // isolates x in the other direction, admitting y/b
)

// ClusterDimensions lists the ClusterNetworkPolicy dimensions with their
// values, in enumeration order. It returns a fresh copy.
func ClusterDimensions() []Dimension {
	return []Dimension{
		{Name: DimTier, Values: []string{"admin", "baseline"}},
		{Name: DimAction, Values: []string{"accept", "deny", "pass"}},
		{Name: DimCNPDirection, Values: []string{DirectionIngress, DirectionEgress}},
		{Name: DimCNPSubject, Values: []string{"namespaces", "pods"}},
		{Name: DimCNPPeer, Values: []string{"namespaces", "pods", "networks"}},
		{Name: DimCNPOrder, Values: []string{OrderSingle, OrderEarlier, OrderEqual}},
		{Name: DimNetpol, Values: []string{NetpolNone, NetpolSame, NetpolOpposite}},
	}
}

// clusterCombo holds one value of every ClusterDimensions dimension, in order.
type clusterCombo [7]string

func (c clusterCombo) tier() string      { return c[0] }
func (c clusterCombo) action() string    { return c[1] }
func (c clusterCombo) direction() string { return c[2] }
func (c clusterCombo) subject() string   { return c[3] }
func (c clusterCombo) peer() string      { return c[4] }
func (c clusterCombo) order() string     { return c[5] }
func (c clusterCombo) netpol() string    { return c[6] }

// validClusterCombos is the product of the dimensions, in enumeration order
// (the first dimension slowest), without what the API cannot express: an
// ingress rule has no networks peer.
func validClusterCombos() []clusterCombo {
	dims := ClusterDimensions()
	var out []clusterCombo
	var cur clusterCombo
	var walk func(d int)
	walk = func(d int) {
		if d == len(dims) {
			if !(cur.direction() == DirectionIngress && cur.peer() == "networks") {
				out = append(out, cur)
			}
			return
		}
		for _, v := range dims[d].Values {
			cur[d] = v
			walk(d + 1)
		}
	}
	walk(0)
	return out
}

func (c clusterCombo) name() string {
	return "gen-cnp-" + strings.Join(c[:], "-")
}

// tags are the dimension tags, then the plain ones.
func (c clusterCombo) tags() []string {
	var out []string
	for i, d := range ClusterDimensions() {
		out = append(out, d.Name+"="+c[i])
	}
	plain := []string{"generated", "cnp", c.direction()}
	if c.order() == OrderEqual && c.peer() != "pods" && !(c.tier() == "baseline" && c.netpol() == NetpolSame) {
		// The second policy decides y/c, which a pods peer (y/b) does not
		// reach, and the Baseline tier is never asked about pods a
		// NetworkPolicy isolates.
		plain = append(plain, "undefined")
	}
	slices.Sort(plain)
	return append(out, plain...)
}

var clusterActions = map[string]npav1alpha2.ClusterNetworkPolicyRuleAction{
	"accept": npav1alpha2.ClusterNetworkPolicyRuleActionAccept,
	"deny":   npav1alpha2.ClusterNetworkPolicyRuleActionDeny,
	"pass":   npav1alpha2.ClusterNetworkPolicyRuleActionPass,
}

// otherAction is the second policy's action: the opposite of a decisive
// action, and Deny against a Pass.
func otherAction(a string) npav1alpha2.ClusterNetworkPolicyRuleAction {
	if a == "accept" {
		return npav1alpha2.ClusterNetworkPolicyRuleActionDeny
	}
	return npav1alpha2.ClusterNetworkPolicyRuleActionAccept
}

func (c clusterCombo) description() string {
	s := fmt.Sprintf("A %s ClusterNetworkPolicy with %s subject in x %ss %s from a %s peer in y on 80/TCP",
		c.tier(), c.subject(), c.action(), c.direction(), c.peer())
	switch c.order() {
	case OrderEarlier:
		s += "; another at a lower priority number decides y/c first, with a different action"
	case OrderEqual:
		s += "; another at the same priority decides y/c differently, which leaves y/c undefined"
	}
	switch c.netpol() {
	case NetpolSame:
		s += "; a NetworkPolicy isolates x the same way, admitting y/b"
	case NetpolOpposite:
		s += "; a NetworkPolicy isolates x the other way, admitting y/b"
	}
	return s + "."
}

// newClusterCase turns a combo into its scenario.
func newClusterCase(c clusterCombo) *scenarios.Scenario {
	var actions []scenarios.Action
	if c.netpol() != NetpolNone {
		actions = append(actions, scenarios.Apply(isolatingNetworkPolicy(c)))
	}
	actions = append(actions, scenarios.ApplyCluster(clusterPolicy(c, "generated-cnp", 10, clusterActions[c.action()], c.peer(), "")))
	switch c.order() {
	case OrderEarlier:
		actions = append(actions, scenarios.ApplyCluster(clusterPolicy(c, "generated-earlier", 5, otherAction(c.action()), "pods", "c")))
	case OrderEqual:
		actions = append(actions, scenarios.ApplyCluster(clusterPolicy(c, "generated-equal", 10, otherAction(c.action()), "pods", "c")))
	}
	return &scenarios.Scenario{
		Name:        c.name(),
		Description: c.description(),
		Source:      scenarios.SourceGenerated,
		Tags:        c.tags(),
		Model:       Model(),
		Steps:       []scenarios.Step{{Name: "apply", Actions: actions}},
	}
}

// clusterPolicy builds one of a case's ClusterNetworkPolicies; pod, when
// set, narrows a pods peer to that pod of y.
func clusterPolicy(c clusterCombo, name string, priority int32, action npav1alpha2.ClusterNetworkPolicyRuleAction, peer, pod string) *npav1alpha2.ClusterNetworkPolicy {
	nsX := metav1.LabelSelector{MatchLabels: map[string]string{"ns": "x"}}
	nsY := metav1.LabelSelector{MatchLabels: map[string]string{"ns": "y"}}
	p := &npav1alpha2.ClusterNetworkPolicy{ObjectMeta: metav1.ObjectMeta{Name: name}}
	p.Spec.Tier = npav1alpha2.AdminTier
	if c.tier() == "baseline" {
		p.Spec.Tier = npav1alpha2.BaselineTier
	}
	p.Spec.Priority = priority
	if c.subject() == "namespaces" {
		p.Spec.Subject.Namespaces = &nsX
	} else {
		p.Spec.Subject.Pods = &npav1alpha2.NamespacedPod{NamespaceSelector: nsX, PodSelector: metav1.LabelSelector{MatchLabels: map[string]string{"pod": "a"}}}
	}
	if pod == "" {
		pod = "b"
	}
	protocols := []npav1alpha2.ClusterNetworkPolicyProtocol{{TCP: &npav1alpha2.ClusterNetworkPolicyProtocolTCP{DestinationPort: &npav1alpha2.Port{Number: 80}}}}
	var in npav1alpha2.ClusterNetworkPolicyIngressPeer
	var out npav1alpha2.ClusterNetworkPolicyEgressPeer
	switch peer {
	case "namespaces":
		in.Namespaces, out.Namespaces = &nsY, &nsY
	case "pods":
		pods := &npav1alpha2.NamespacedPod{NamespaceSelector: nsY, PodSelector: metav1.LabelSelector{MatchLabels: map[string]string{"pod": pod}}}
		in.Pods, out.Pods = pods, pods
	case "networks":
		out.Networks = []npav1alpha2.CIDR{"192.168.1.0/24"} // namespace y's pods
	}
	if c.direction() == DirectionIngress {
		p.Spec.Ingress = []npav1alpha2.ClusterNetworkPolicyIngressRule{{Action: action, From: []npav1alpha2.ClusterNetworkPolicyIngressPeer{in}, Protocols: protocols}}
	} else {
		p.Spec.Egress = []npav1alpha2.ClusterNetworkPolicyEgressRule{{Action: action, To: []npav1alpha2.ClusterNetworkPolicyEgressPeer{out}, Protocols: protocols}}
	}
	return p
}

// isolatingNetworkPolicy isolates every pod of x in one direction,
// admitting y/b.
func isolatingNetworkPolicy(c clusterCombo) *networkingv1.NetworkPolicy {
	ingress := c.direction() == DirectionIngress
	if c.netpol() == NetpolOpposite {
		ingress = !ingress
	}
	yb := []networkingv1.NetworkPolicyPeer{{
		NamespaceSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"ns": "y"}},
		PodSelector:       &metav1.LabelSelector{MatchLabels: map[string]string{"pod": "b"}},
	}}
	p := &networkingv1.NetworkPolicy{ObjectMeta: metav1.ObjectMeta{Namespace: policyNamespace, Name: "generated-netpol"}}
	if ingress {
		p.Spec.PolicyTypes = []networkingv1.PolicyType{networkingv1.PolicyTypeIngress}
		p.Spec.Ingress = []networkingv1.NetworkPolicyIngressRule{{From: yb}}
	} else {
		p.Spec.PolicyTypes = []networkingv1.PolicyType{networkingv1.PolicyTypeEgress}
		p.Spec.Egress = []networkingv1.NetworkPolicyEgressRule{{To: yb}}
	}
	return p
}

// clusterTruthKey is what pruning compares for a cluster case: its plain
// tags and its table, undefined cells told apart.
func clusterTruthKey(c clusterCombo) (string, error) {
	var b strings.Builder
	tags := c.tags()
	b.WriteString(strings.Join(tags[len(ClusterDimensions()):], ","))
	err := simulate(newClusterCase(c), func(t *truth.TruthTable) {
		b.WriteByte('|')
		for cell := range t.Cells() {
			switch {
			case cell.Undefined:
				b.WriteByte('u')
			case cell.Allowed:
				b.WriteByte('a')
			default:
				b.WriteByte('b')
			}
		}
	})
	return b.String(), err
}

// clusterSelection picks a profile's cluster combos: full is every valid
// combo whose table no earlier one repeats; quick is a greedy cover of every
// pair of values among those.
func clusterSelection(p Profile) ([]clusterCombo, error) {
	seen := map[string]bool{}
	var full []clusterCombo
	for _, c := range validClusterCombos() {
		k, err := clusterTruthKey(c)
		if err != nil {
			return nil, err
		}
		if seen[k] {
			continue
		}
		seen[k] = true
		full = append(full, c)
	}
	if p == Full {
		return full, nil
	}
	type pair struct {
		i, j int
		a, b string
	}
	pairsOf := func(c clusterCombo) []pair {
		var out []pair
		for i := range c {
			for j := i + 1; j < len(c); j++ {
				out = append(out, pair{i, j, c[i], c[j]})
			}
		}
		return out
	}
	want := map[pair]bool{}
	for _, c := range full {
		for _, p := range pairsOf(c) {
			want[p] = true
		}
	}
	picked := make([]bool, len(full))
	for len(want) > 0 {
		best, gain := -1, 0
		for i, c := range full {
			if picked[i] {
				continue
			}
			g := 0
			for _, p := range pairsOf(c) {
				if want[p] {
					g++
				}
			}
			if g > gain {
				best, gain = i, g
			}
		}
		if best < 0 {
			return nil, fmt.Errorf("quick profile: %d pairs of ClusterNetworkPolicy values cannot be covered", len(want))
		}
		picked[best] = true
		for _, p := range pairsOf(full[best]) {
			delete(want, p)
		}
	}
	var quick []clusterCombo
	for i, c := range full {
		if picked[i] {
			quick = append(quick, c)
		}
	}
	return quick, nil
}

// AllCases returns a profile's NetworkPolicy cases, then its
// ClusterNetworkPolicy cases: what --profile adds to a run.
func AllCases(p Profile) ([]*scenarios.Scenario, error) {
	cases, err := Cases(p)
	if err != nil {
		return nil, err
	}
	cluster, err := ClusterCases(p)
	if err != nil {
		return nil, err
	}
	return append(cases, cluster...), nil
}

// ClusterCases returns the ClusterNetworkPolicy cases of a profile,
// validated and pruned, in enumeration order.
func ClusterCases(p Profile) ([]*scenarios.Scenario, error) {
	if p != Quick && p != Full {
		return nil, fmt.Errorf("unknown profile %q: want quick or full", p)
	}
	picked, err := clusterSelection(p)
	if err != nil {
		return nil, err
	}
	out := make([]*scenarios.Scenario, len(picked))
	for i, c := range picked {
		s := newClusterCase(c)
		if err := s.Validate(); err != nil {
			return nil, fmt.Errorf("generated case %s is invalid: %w", s.Name, err)
		}
		out[i] = s
	}
	return out, nil
}
