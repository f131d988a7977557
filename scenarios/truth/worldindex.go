package truth

import (
	"net/netip"

	"github.com/netpolcheck/netpolcheck/scenarios"
	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// worldIndex is what Compute precomputes once per World so that each policy
// rule turns into sets with word operations: endpoint sets (size
// len(Endpoints)) for selections and peers, target sets (size len(Targets))
// for ports.
type worldIndex struct {
	table      *TruthTable
	pods       *labelIndex // over endpoint indexes; external hosts are never added
	namespaces *labelIndex // over namespace indexes
	nsByName   map[string]int
	nsPods     []bitset // per namespace, its pods as an endpoint set
	addrs      []netip.Addr
	ports      []portGroup
	everyone   bitset // every endpoint
	allTargets bitset
}

// portGroup gathers the targets that any port rule treats alike; a World has
// few of them (pods mostly share their ports), so a rule's port list is
// matched against the groups, not against every target.
type portGroup struct {
	portKind
	targets bitset
}

// portKind is what port rules look at in a target.
type portKind struct {
	name     string
	port     int32
	protocol scenarios.Protocol
	external bool
}

func newWorldIndex(w *scenarios.World, t *TruthTable) *worldIndex {
	n := len(t.Endpoints)
	x := &worldIndex{
		table:      t,
		pods:       newLabelIndex(n),
		nsByName:   map[string]int{},
		addrs:      make([]netip.Addr, n),
		everyone:   newBitset(n),
		allTargets: newBitset(len(t.Targets)),
	}
	x.everyone.setRange(0, n)
	x.allTargets.setRange(0, len(t.Targets))

	// A pod whose namespace the World does not list still has a namespace,
	// one without labels, so that it matches exactly the namespace selectors
	// Explain finds it matching.
	var nsLabels []map[string]string
	addNamespace := func(name string, labels map[string]string) int {
		if i, found := x.nsByName[name]; found {
			return i
		}
		x.nsByName[name] = len(nsLabels)
		nsLabels = append(nsLabels, labels)
		x.nsPods = append(x.nsPods, newBitset(n))
		return len(nsLabels) - 1
	}
	for _, ns := range w.Namespaces {
		addNamespace(ns.Name, ns.Labels)
	}
	for i, e := range t.Endpoints {
		x.addrs[i] = parseAddr(e.IP)
		if e.Pod != nil {
			x.pods.add(i, e.Pod.Labels)
			x.nsPods[addNamespace(e.Pod.Namespace, nil)].set(i)
		}
	}
	x.namespaces = newLabelIndex(len(nsLabels))
	for i, labels := range nsLabels {
		x.namespaces.add(i, labels)
	}

	groups := map[portKind]int{}
	for i, tg := range t.Targets {
		kind := portKind{name: tg.Port.Name, port: tg.Port.Port, protocol: tg.Port.Protocol, external: t.external(tg.Endpoint)}
		g, found := groups[kind]
		if !found {
			g = len(x.ports)
			groups[kind] = g
			x.ports = append(x.ports, portGroup{portKind: kind, targets: newBitset(len(t.Targets))})
		}
		x.ports[g].targets.set(i)
	}
	return x
}

// selectedBy is the pods a policy applies to: those of its own namespace
// that its podSelector selects.
func (x *worldIndex) selectedBy(p *networkingv1.NetworkPolicy) bitset {
	return x.podsIn(p.Namespace, x.pods.matching(&p.Spec.PodSelector))
}

func (x *worldIndex) podsIn(ns string, pods bitset) bitset {
	i, found := x.nsByName[ns]
	if !found {
		return newBitset(len(x.table.Endpoints))
	}
	pods.and(x.nsPods[i])
	return pods
}

// peers is the endpoints a rule's from or to list admits, for a policy in
// namespace ns. No peers at all admits everyone.
func (x *worldIndex) peers(ns string, peers []networkingv1.NetworkPolicyPeer) bitset {
	if len(peers) == 0 {
		return x.everyone.clone()
	}
	s := newBitset(len(x.table.Endpoints))
	for i := range peers {
		s.or(x.peer(ns, &peers[i]))
	}
	return s
}

func (x *worldIndex) peer(ns string, p *networkingv1.NetworkPolicyPeer) bitset {
	none := newBitset(len(x.table.Endpoints))
	switch {
	case p.IPBlock != nil:
		if p.PodSelector != nil || p.NamespaceSelector != nil {
			return none
		}
		r, ok := parseIPBlock(p.IPBlock)
		if !ok {
			return none
		}
		for i, a := range x.addrs {
			if r.contains(a) {
				none.set(i)
			}
		}
		return none
	case p.NamespaceSelector != nil:
		x.namespaces.matching(p.NamespaceSelector).each(func(i int) { none.or(x.nsPods[i]) })
		if p.PodSelector != nil {
			none.and(x.pods.matching(p.PodSelector))
		}
		return none
	case p.PodSelector != nil:
		return x.podsIn(ns, x.pods.matching(p.PodSelector))
	default:
		return none
	}
}

// targetsOf is every target served by the endpoints in s.
func (x *worldIndex) targetsOf(s bitset) bitset {
	out := newBitset(len(x.table.Targets))
	s.each(func(e int) { out.setRange(x.table.firstPort[e], x.table.firstPort[e+1]) })
	return out
}

// portTargets is the targets a rule's port list admits. No ports at all
// admits every port of every protocol.
func (x *worldIndex) portTargets(ports []networkingv1.NetworkPolicyPort) bitset {
	if len(ports) == 0 {
		return x.allTargets.clone()
	}
	out := newBitset(len(x.table.Targets))
	for i := range ports {
		for _, g := range x.ports {
			if g.admittedBy(&ports[i]) {
				out.or(g.targets)
			}
		}
	}
	return out
}

// admittedBy tells whether a port rule admits the targets of g.
func (g *portGroup) admittedBy(p *networkingv1.NetworkPolicyPort) bool {
	proto := scenarios.TCP
	if p.Protocol != nil {
		proto = protocolOrTCP(scenarios.Protocol(*p.Protocol))
	}
	if proto != g.protocol {
		return false
	}
	switch {
	case p.Port == nil:
		return true
	case p.Port.Type == intstr.String: // a named port exists only on pods
		return !g.external && g.name != "" && g.name == p.Port.StrVal
	case p.EndPort != nil:
		return p.Port.IntVal <= g.port && g.port <= *p.EndPort
	default:
		return p.Port.IntVal == g.port
	}
}
