package scenarios

import (
	"fmt"
	"maps"
	"net/netip"
	"regexp"
	"slices"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	npav1alpha2 "sigs.k8s.io/network-policy-api/apis/v1alpha2"
)

// The limits of the ClusterNetworkPolicy CRD (network-policy-api v0.3.0).
const (
	maxClusterRules      = 25 // ingress and egress rules per policy
	maxClusterListItems  = 25 // peers, protocols, networks and domain names per rule or peer
	maxClusterRuleName   = 100
	maxClusterPriority   = 1000
	maxClusterCIDRLength = 43
)

// domainNamePattern is the CRD's pattern for a domainNames entry: labels,
// optionally a leading "*." wildcard, optionally a trailing dot.
var domainNamePattern = regexp.MustCompile(`^(\*\.)?([a-zA-Z0-9]([-a-zA-Z0-9_]*[a-zA-Z0-9])?\.)+[a-zA-Z0-9]([-a-zA-Z0-9_]*[a-zA-Z0-9])?\.?$`)

// resolveClusterPolicy checks a cluster policy against its CRD's schema and
// CEL rules and expands its placeholders (networks may name pods' addresses
// as ipBlocks do).
func (st *State) resolveClusterPolicy(p *ClusterPolicy, mustExist bool) (Change, Errors) {
	if msg := nameProblem(p.Name(), true); msg != "" {
		return Change{}, Errors{fieldErr("metadata.name", msg)}
	}
	if _, exists := st.clusterPolicies[p.Key()]; mustExist && !exists {
		return Change{}, Errors{fieldErr("metadata.name", fmt.Sprintf("policy %q does not exist", p.Key()))}
	}
	out := p.DeepCopy()
	var errs Errors
	for _, n := range networksOf(out) {
		expanded, msg := expandString(string(*n.value), st.ipOf)
		if msg != "" {
			errs = append(errs, fieldErr(n.path, msg))
		}
		*n.value = expanded
	}
	if len(errs) > 0 {
		return Change{}, errs
	}
	if out.ClusterNetworkPolicy != nil {
		errs = checkClusterPolicySpec(&out.ClusterNetworkPolicy.Spec, "spec")
	} else {
		errs = checkAdminPolicy(out)
	}
	if len(errs) > 0 {
		return Change{}, errs
	}
	// The API server clears the namespace of a cluster-scoped object.
	tiered := out.Tiered()
	switch {
	case out.ClusterNetworkPolicy != nil:
		out.ClusterNetworkPolicy.Namespace = ""
	case out.AdminNetworkPolicy != nil:
		out.AdminNetworkPolicy.Namespace = ""
	default:
		out.BaselineAdminNetworkPolicy.Namespace = ""
	}
	return Change{Kind: ApplyClusterPolicy, ClusterPolicy: tiered, ClusterPolicyObject: out}, nil
}

// network is one networks entry of a cluster policy, with its field path.
type network struct {
	path  string
	value *string
}

// networksOf lists every networks entry of a cluster policy, whatever its kind.
func networksOf(p *ClusterPolicy) []network {
	var out []network
	add := func(i, j, k int, v *string) {
		out = append(out, network{path: indexPath(joinPath(indexPath(joinPath(indexPath("spec.egress", i), "to"), j), "networks"), k), value: v})
	}
	switch {
	case p.ClusterNetworkPolicy != nil:
		for i, r := range p.ClusterNetworkPolicy.Spec.Egress {
			for j, peer := range r.To {
				for k := range peer.Networks {
					add(i, j, k, (*string)(&peer.Networks[k]))
				}
			}
		}
	case p.AdminNetworkPolicy != nil:
		for i, r := range p.AdminNetworkPolicy.Spec.Egress {
			for j, peer := range r.To {
				for k := range peer.Networks {
					add(i, j, k, (*string)(&peer.Networks[k]))
				}
			}
		}
	case p.BaselineAdminNetworkPolicy != nil:
		for i, r := range p.BaselineAdminNetworkPolicy.Spec.Egress {
			for j, peer := range r.To {
				for k := range peer.Networks {
					add(i, j, k, (*string)(&peer.Networks[k]))
				}
			}
		}
	}
	return out
}

// checkClusterPolicySpec validates a ClusterNetworkPolicy spec as the CRD's
// OpenAPI schema and CEL rules do. It is written apart from the truth oracle,
// which gives every input it might still see one defined meaning.
func checkClusterPolicySpec(spec *npav1alpha2.ClusterNetworkPolicySpec, path string) Errors {
	var errs Errors
	fail := func(field, format string, args ...any) {
		errs = append(errs, fieldErr(field, fmt.Sprintf(format, args...)))
	}
	switch spec.Tier {
	case npav1alpha2.AdminTier, npav1alpha2.BaselineTier:
	default:
		fail(joinPath(path, "tier"), "unsupported value %q: must be Admin or Baseline", spec.Tier)
	}
	if spec.Priority < 0 || spec.Priority > maxClusterPriority {
		fail(joinPath(path, "priority"), "must be between 0 and %d, not %d", maxClusterPriority, spec.Priority)
	}
	subject := joinPath(path, "subject")
	switch {
	case spec.Subject.Namespaces == nil && spec.Subject.Pods == nil:
		fail(subject, "must set exactly one of namespaces and pods")
	case spec.Subject.Namespaces != nil && spec.Subject.Pods != nil:
		fail(subject, "sets namespaces and pods: must set exactly one")
	}
	if len(spec.Ingress) > maxClusterRules {
		fail(joinPath(path, "ingress"), "has %d rules, at most %d", len(spec.Ingress), maxClusterRules)
	}
	if len(spec.Egress) > maxClusterRules {
		fail(joinPath(path, "egress"), "has %d rules, at most %d", len(spec.Egress), maxClusterRules)
	}
	for i, r := range spec.Ingress {
		at := indexPath(joinPath(path, "ingress"), i)
		errs = append(errs, checkClusterRule(r.Name, r.Action, len(r.From), r.Protocols, at, "from")...)
		for j, peer := range r.From {
			if (peer.Namespaces == nil) == (peer.Pods == nil) {
				fail(indexPath(joinPath(at, "from"), j), "must set exactly one of namespaces and pods")
			}
		}
	}
	for i, r := range spec.Egress {
		at := indexPath(joinPath(path, "egress"), i)
		errs = append(errs, checkClusterRule(r.Name, r.Action, len(r.To), r.Protocols, at, "to")...)
		namedPort := false
		for _, p := range r.Protocols {
			namedPort = namedPort || p.DestinationNamedPort != ""
		}
		for j, peer := range r.To {
			errs = append(errs, checkEgressPeer(peer, indexPath(joinPath(at, "to"), j), namedPort)...)
		}
	}
	return errs
}

func checkClusterRule(name string, action npav1alpha2.ClusterNetworkPolicyRuleAction, peers int, protocols []npav1alpha2.ClusterNetworkPolicyProtocol, at, peersField string) Errors {
	var errs Errors
	fail := func(field, format string, args ...any) {
		errs = append(errs, fieldErr(field, fmt.Sprintf(format, args...)))
	}
	if len(name) > maxClusterRuleName {
		fail(joinPath(at, "name"), "is %d characters long, at most %d", len(name), maxClusterRuleName)
	}
	switch action {
	case npav1alpha2.ClusterNetworkPolicyRuleActionAccept, npav1alpha2.ClusterNetworkPolicyRuleActionDeny, npav1alpha2.ClusterNetworkPolicyRuleActionPass:
	default:
		fail(joinPath(at, "action"), "unsupported value %q: must be Accept, Deny or Pass", action)
	}
	switch {
	case peers == 0:
		fail(joinPath(at, peersField), "required: at least one peer")
	case peers > maxClusterListItems:
		fail(joinPath(at, peersField), "has %d peers, at most %d", peers, maxClusterListItems)
	}
	if protocols != nil && len(protocols) == 0 {
		fail(joinPath(at, "protocols"), "must not be empty: leave it out to match every protocol and port")
	}
	if len(protocols) > maxClusterListItems {
		fail(joinPath(at, "protocols"), "has %d entries, at most %d", len(protocols), maxClusterListItems)
	}
	for i, p := range protocols {
		errs = append(errs, checkClusterProtocol(p, indexPath(joinPath(at, "protocols"), i))...)
	}
	return errs
}

func checkClusterProtocol(p npav1alpha2.ClusterNetworkPolicyProtocol, at string) Errors {
	set := 0
	var port *npav1alpha2.Port
	var field string
	if p.TCP != nil {
		set, port, field = set+1, p.TCP.DestinationPort, "tcp"
	}
	if p.UDP != nil {
		set, port, field = set+1, p.UDP.DestinationPort, "udp"
	}
	if p.SCTP != nil {
		set, port, field = set+1, p.SCTP.DestinationPort, "sctp"
	}
	if p.DestinationNamedPort != "" {
		set++
	}
	if set != 1 {
		return Errors{fieldErr(at, "must set exactly one of tcp, udp, sctp and destinationNamedPort")}
	}
	if field == "" {
		return nil
	}
	at = joinPath(joinPath(at, field), "destinationPort")
	switch {
	case port == nil:
		return Errors{fieldErr(at, "required: tcp, udp and sctp name a destinationPort")}
	case port.Number != 0 && port.Range != nil, port.Number == 0 && port.Range == nil:
		return Errors{fieldErr(at, "must set exactly one of number and range")}
	case port.Range == nil:
		if msg := portNumberProblem(int64(port.Number)); msg != "" {
			return Errors{fieldErr(joinPath(at, "number"), msg)}
		}
		return nil
	}
	var errs Errors
	for _, end := range []struct {
		field string
		value int32
	}{{"start", port.Range.Start}, {"end", port.Range.End}} {
		if msg := portNumberProblem(int64(end.value)); msg != "" {
			errs = append(errs, fieldErr(joinPath(joinPath(at, "range"), end.field), msg))
		}
	}
	if len(errs) == 0 && port.Range.Start >= port.Range.End {
		errs = append(errs, fieldErr(joinPath(at, "range"), fmt.Sprintf("Start port must be less than End port (start %d, end %d)", port.Range.Start, port.Range.End)))
	}
	return errs
}

func checkEgressPeer(peer npav1alpha2.ClusterNetworkPolicyEgressPeer, at string, namedPort bool) Errors {
	var errs Errors
	fail := func(field, format string, args ...any) {
		errs = append(errs, fieldErr(field, fmt.Sprintf(format, args...)))
	}
	set := 0
	for _, present := range []bool{peer.Namespaces != nil, peer.Pods != nil, peer.Nodes != nil, peer.Networks != nil, peer.DomainNames != nil} {
		if present {
			set++
		}
	}
	if set != 1 {
		fail(at, "must set exactly one of namespaces, pods, nodes, networks and domainNames")
		return errs
	}
	if namedPort && (peer.Networks != nil || peer.Nodes != nil || peer.DomainNames != nil) {
		fail(at, "networks/nodes/domainNames peer cannot be set with namedPorts since there are no namedPorts for networks/nodes/domainNames")
	}
	if peer.Networks != nil {
		errs = append(errs, checkSet(peer.Networks, joinPath(at, "networks"), func(c npav1alpha2.CIDR) string {
			if len(c) > maxClusterCIDRLength {
				return fmt.Sprintf("is %d characters long, at most %d", len(c), maxClusterCIDRLength)
			}
			if p, err := netip.ParsePrefix(string(c)); err != nil || p != p.Masked() {
				return fmt.Sprintf("Invalid CIDR format provided: %q (want an address range in CIDR notation with no host bits set, such as 10.0.0.0/8)", c)
			}
			return ""
		})...)
	}
	if peer.DomainNames != nil {
		errs = append(errs, checkSet(peer.DomainNames, joinPath(at, "domainNames"), func(n npav1alpha2.DomainName) string {
			if !domainNamePattern.MatchString(string(n)) {
				return fmt.Sprintf("invalid domain name %q: labels of letters, digits, '-' and '_', optionally after a leading '*.'", n)
			}
			return ""
		})...)
	}
	return errs
}

// checkSet checks a list the CRD declares a set of (listType=set): 1 to 25
// entries, no duplicates, and each entry by problem.
func checkSet[T ~string](items []T, at string, problem func(T) string) Errors {
	switch {
	case len(items) == 0:
		return Errors{fieldErr(at, "must not be empty")}
	case len(items) > maxClusterListItems:
		return Errors{fieldErr(at, fmt.Sprintf("has %d entries, at most %d", len(items), maxClusterListItems))}
	}
	var errs Errors
	seen := map[T]int{}
	for i, item := range items {
		field := indexPath(at, i)
		if j, dup := seen[item]; dup {
			errs = append(errs, fieldErr(field, fmt.Sprintf("duplicate value %q (also [%d])", item, j)))
			continue
		}
		seen[item] = i
		if msg := problem(item); msg != "" {
			errs = append(errs, fieldErr(field, msg))
		}
	}
	return errs
}

// clusterPolicyNotes notes what loading a ClusterNetworkPolicy accepts but
// its author may not expect: every field that only the experimental
// channel's CRD has (nodes and domainNames peers, named destination ports),
// which a cluster with the standard CRD would refuse, and every selector
// that selects nothing because it is malformed (see selectorNotes).
func clusterPolicyNotes(s *Scenario) Errors {
	var notes Errors
	note := func(path, field string) {
		notes = append(notes, fieldErr(path, fmt.Sprintf(
			"note: %s is a field of the experimental channel of ClusterNetworkPolicy: a cluster with the standard-channel CRD refuses it", field)))
	}
	for i := range s.Steps {
		for j, a := range s.Steps[i].Actions {
			for _, pol := range []struct {
				field string
				p     *ClusterPolicy
			}{{"apply", a.ApplyCluster}, {"update", a.UpdateCluster}} {
				if pol.p == nil || pol.p.ClusterNetworkPolicy == nil {
					continue
				}
				spec := &pol.p.ClusterNetworkPolicy.Spec
				at := joinPath(indexPath(joinPath(indexPath("steps", i), "actions"), j), pol.field+".spec")
				notes = append(notes, selectorNotes(spec, at)...)
				walkExperimental(spec, at, note)
			}
		}
	}
	return notes
}

// walkExperimental calls found with the path and name of every field of
// spec that only the experimental channel's CRD has.
func walkExperimental(spec *npav1alpha2.ClusterNetworkPolicySpec, at string, found func(path, field string)) {
	namedPorts := func(rule string, protocols []npav1alpha2.ClusterNetworkPolicyProtocol) {
		for k, p := range protocols {
			if p.DestinationNamedPort != "" {
				found(joinPath(indexPath(joinPath(rule, "protocols"), k), "destinationNamedPort"), "destinationNamedPort")
			}
		}
	}
	for k, r := range spec.Ingress {
		namedPorts(indexPath(joinPath(at, "ingress"), k), r.Protocols)
	}
	for k, r := range spec.Egress {
		rule := indexPath(joinPath(at, "egress"), k)
		namedPorts(rule, r.Protocols)
		for l, peer := range r.To {
			peerAt := indexPath(joinPath(rule, "to"), l)
			if peer.Nodes != nil {
				found(joinPath(peerAt, "nodes"), "nodes")
			}
			if peer.DomainNames != nil {
				found(joinPath(peerAt, "domainNames"), "domainNames")
			}
		}
	}
}

// ExperimentalClusterPolicyFields names, sorted, the fields of the
// experimental channel that the scenario's ClusterNetworkPolicies use: a
// cluster whose CRD is the standard channel prunes them and refuses the
// objects.
func (s *Scenario) ExperimentalClusterPolicyFields() []string {
	seen := map[string]bool{}
	for _, step := range s.Steps {
		for _, a := range step.Actions {
			for _, p := range []*ClusterPolicy{a.ApplyCluster, a.UpdateCluster} {
				if p != nil && p.ClusterNetworkPolicy != nil {
					walkExperimental(&p.ClusterNetworkPolicy.Spec, "", func(_, field string) { seen[field] = true })
				}
			}
		}
	}
	return slices.Sorted(maps.Keys(seen))
}

// selectorNotes notes every label selector of a ClusterNetworkPolicy that
// the API server would refuse in a NetworkPolicy (an unknown operator, In
// without values, a malformed key): the CRD's schema lets it through, and it
// selects nothing, which is rarely what its author meant.
func selectorNotes(spec *npav1alpha2.ClusterNetworkPolicySpec, at string) Errors {
	var notes Errors
	check := func(sel *metav1.LabelSelector, path string) {
		if sel == nil {
			return
		}
		for _, e := range checkSelector(sel, path) {
			notes = append(notes, fieldErr(e.Field, "note: "+e.Msg+": the ClusterNetworkPolicy CRD accepts this selector, and it selects nothing"))
		}
	}
	pods := func(p *npav1alpha2.NamespacedPod, path string) {
		if p != nil {
			check(&p.NamespaceSelector, joinPath(path, "namespaceSelector"))
			check(&p.PodSelector, joinPath(path, "podSelector"))
		}
	}
	check(spec.Subject.Namespaces, joinPath(at, "subject.namespaces"))
	pods(spec.Subject.Pods, joinPath(at, "subject.pods"))
	for i, r := range spec.Ingress {
		for j, peer := range r.From {
			path := indexPath(joinPath(indexPath(joinPath(at, "ingress"), i), "from"), j)
			check(peer.Namespaces, joinPath(path, "namespaces"))
			pods(peer.Pods, joinPath(path, "pods"))
		}
	}
	for i, r := range spec.Egress {
		for j, peer := range r.To {
			path := indexPath(joinPath(indexPath(joinPath(at, "egress"), i), "to"), j)
			check(peer.Namespaces, joinPath(path, "namespaces"))
			check(peer.Nodes, joinPath(path, "nodes"))
			pods(peer.Pods, joinPath(path, "pods"))
		}
	}
	return notes
}
