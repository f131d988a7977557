package compile

import (
	"fmt"
	"math/rand/v2"
	"net/netip"
	"testing"

	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	npav1alpha2 "sigs.k8s.io/network-policy-api/apis/v1alpha2"
)

// lookup answers as the datapath does for one endpoint, direction, remote
// address, protocol and port: the longest peer prefix of the rule set,
// then the longest port entry of its class. rule is the deciding cluster
// policy rule's number for a deny entry.
func lookup(t *testing.T, tables *Tables, pod string, ingress bool, remote netip.Addr, protocol Protocol, port uint16) (allowed bool, rule uint32) {
	t.Helper()
	var rs RuleSet
	found := false
	for _, ep := range tables.Endpoints {
		if ep.Pod == pod {
			rs, found = ep.Egress, true
			if ingress {
				rs = ep.Ingress
			}
		}
	}
	if !found {
		t.Fatalf("no endpoint %s", pod)
	}
	if rs == NotIsolated {
		return true, 0
	}
	best := -1
	var class Class
	for _, p := range tables.Peers {
		if p.RuleSet == rs && p.Prefix.Contains(remote) && p.Prefix.Bits() > best {
			best, class = p.Prefix.Bits(), p.Class
		}
	}
	if best < 0 {
		return false, 0
	}
	bestLen := -1
	var entry PortPrefix
	for _, e := range tables.Ports {
		if e.Class != class {
			continue
		}
		length := 0
		switch {
		case e.Protocol == AnyProtocol:
		case e.Protocol != protocol:
			continue
		default:
			length = 16 + int(e.Bits)
			if e.Bits > 0 && port>>(16-e.Bits) != e.Port>>(16-e.Bits) {
				continue
			}
		}
		if length > bestLen {
			bestLen, entry = length, e
		}
	}
	if bestLen < 0 {
		return false, 0
	}
	return !entry.Deny, entry.Rule
}

type cnpTweak func(*npav1alpha2.ClusterNetworkPolicy)

func makeCNP(name string, tier npav1alpha2.Tier, priority int32, subjectNS map[string]string, tweaks ...cnpTweak) *npav1alpha2.ClusterNetworkPolicy {
	p := &npav1alpha2.ClusterNetworkPolicy{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: npav1alpha2.ClusterNetworkPolicySpec{
			Tier: tier, Priority: priority,
			Subject: npav1alpha2.ClusterNetworkPolicySubject{Namespaces: &metav1.LabelSelector{MatchLabels: subjectNS}},
		},
	}
	for _, tw := range tweaks {
		tw(p)
	}
	return p
}

func cnpIngress(action npav1alpha2.ClusterNetworkPolicyRuleAction, fromNS map[string]string, protocols ...npav1alpha2.ClusterNetworkPolicyProtocol) cnpTweak {
	return func(p *npav1alpha2.ClusterNetworkPolicy) {
		p.Spec.Ingress = append(p.Spec.Ingress, npav1alpha2.ClusterNetworkPolicyIngressRule{
			Action: action, From: []npav1alpha2.ClusterNetworkPolicyIngressPeer{{Namespaces: &metav1.LabelSelector{MatchLabels: fromNS}}}, Protocols: protocols,
		})
	}
}

func cnpEgressNetworks(action npav1alpha2.ClusterNetworkPolicyRuleAction, cidr string, protocols ...npav1alpha2.ClusterNetworkPolicyProtocol) cnpTweak {
	return func(p *npav1alpha2.ClusterNetworkPolicy) {
		p.Spec.Egress = append(p.Spec.Egress, npav1alpha2.ClusterNetworkPolicyEgressRule{
			Action: action, To: []npav1alpha2.ClusterNetworkPolicyEgressPeer{{Networks: []npav1alpha2.CIDR{npav1alpha2.CIDR(cidr)}}}, Protocols: protocols,
		})
	}
}

func tcpPort(n int32) npav1alpha2.ClusterNetworkPolicyProtocol {
	return npav1alpha2.ClusterNetworkPolicyProtocol{TCP: &npav1alpha2.ClusterNetworkPolicyProtocolTCP{DestinationPort: &npav1alpha2.Port{Number: n}}}
}

const (
	accept = npav1alpha2.ClusterNetworkPolicyRuleActionAccept
	deny   = npav1alpha2.ClusterNetworkPolicyRuleActionDeny
	pass   = npav1alpha2.ClusterNetworkPolicyRuleActionPass
)

// Each case is checked cell by cell through a lookup that works as the
// datapath does, so the test holds whatever layout the compiler picks.
func TestCompileTiers(t *testing.T) {
	red, blue := map[string]string{"team": "red"}, map[string]string{"team": "blue"}
	ya, yb, xa := addr("192.168.1.1"), addr("192.168.1.2"), addr("192.168.0.1")
	outside := addr("203.0.113.9")
	type cell struct {
		ingress  bool
		remote   netip.Addr
		protocol Protocol
		port     uint16
		allowed  bool
		rule     uint32
	}
	tests := []struct {
		name     string
		policies []*networkingv1.NetworkPolicy
		cnps     []*npav1alpha2.ClusterNetworkPolicy
		cells    []cell // at x/b
	}{
		{
			name: "an Admin Deny of one port leaves every other port and protocol open",
			cnps: []*npav1alpha2.ClusterNetworkPolicy{makeCNP("deny-80", npav1alpha2.AdminTier, 10, red, cnpIngress(deny, blue, tcpPort(80)))},
			cells: []cell{
				{true, ya, TCP, 80, false, 1}, {true, yb, TCP, 80, false, 1},
				{true, ya, TCP, 81, true, 0}, {true, ya, UDP, 80, true, 0}, {true, ya, 1, 0, true, 0},
				{true, xa, TCP, 80, true, 0}, {false, ya, TCP, 80, true, 0},
			},
		},
		{
			name:     "Admin Accept beats a NetworkPolicy that isolates",
			policies: []*networkingv1.NetworkPolicy{makePolicy("x", "deny-all", nil)},
			cnps:     []*npav1alpha2.ClusterNetworkPolicy{makeCNP("accept-blue", npav1alpha2.AdminTier, 10, red, cnpIngress(accept, blue))},
			cells: []cell{
				{true, ya, TCP, 80, true, 0}, {true, ya, 1, 0, true, 0},
				{true, xa, TCP, 80, false, 0}, {true, outside, UDP, 53, false, 0},
			},
		},
		{
			name:     "Pass skips the rest of the Admin tier and lets NetworkPolicy decide",
			policies: []*networkingv1.NetworkPolicy{makePolicy("x", "from-blue-80", nil, withIngress(peers(nsPeer(blue)), port("TCP", 80)))},
			cnps: []*npav1alpha2.ClusterNetworkPolicy{
				makeCNP("pass-blue", npav1alpha2.AdminTier, 5, red, cnpIngress(pass, blue)),
				makeCNP("deny-blue", npav1alpha2.AdminTier, 10, red, cnpIngress(deny, blue)),
			},
			cells: []cell{
				{true, ya, TCP, 80, true, 0}, {true, ya, TCP, 81, false, 0}, {true, xa, TCP, 80, false, 0},
			},
		},
		{
			name: "Baseline decides only where no NetworkPolicy isolates, lower priority first",
			cnps: []*npav1alpha2.ClusterNetworkPolicy{
				makeCNP("deny-all", npav1alpha2.BaselineTier, 20, red, cnpIngress(deny, map[string]string{})),
				makeCNP("accept-blue-80", npav1alpha2.BaselineTier, 10, red, cnpIngress(accept, blue, tcpPort(80))),
			},
			cells: []cell{
				{true, ya, TCP, 80, true, 0}, {true, ya, TCP, 81, false, 2}, {true, xa, TCP, 80, false, 2},
				// Networks are not namespaces: an address outside is not denied.
				{true, outside, TCP, 80, true, 0},
			},
		},
		{
			name:     "a NetworkPolicy that isolates makes Baseline irrelevant",
			policies: []*networkingv1.NetworkPolicy{makePolicy("x", "from-red", nil, withIngress(peers(nsPeer(red))))},
			cnps:     []*npav1alpha2.ClusterNetworkPolicy{makeCNP("deny-red", npav1alpha2.BaselineTier, 10, red, cnpIngress(deny, red))},
			cells:    []cell{{true, xa, TCP, 80, true, 0}, {true, ya, TCP, 80, false, 0}},
		},
		{
			name: "egress networks: a longer prefix inside a shorter one of another rule",
			cnps: []*npav1alpha2.ClusterNetworkPolicy{
				makeCNP("accept-one", npav1alpha2.AdminTier, 1, red, cnpEgressNetworks(accept, "203.0.113.9/32", tcpPort(443))),
				makeCNP("deny-net", npav1alpha2.AdminTier, 2, red, cnpEgressNetworks(deny, "203.0.113.0/24")),
			},
			cells: []cell{
				{false, outside, TCP, 443, true, 0}, {false, outside, TCP, 80, false, 2},
				{false, addr("203.0.113.10"), TCP, 443, false, 2}, {false, ya, TCP, 443, true, 0},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tables, err := Compile(Input{
				Namespaces: testNamespaces(), Pods: testPods(), Policies: tt.policies,
				ClusterPolicies: tt.cnps, Local: map[string]int{"x/b": 11},
			})
			if err != nil {
				t.Fatal(err)
			}
			for _, c := range tt.cells {
				allowed, rule := lookup(t, tables, "x/b", c.ingress, c.remote, c.protocol, c.port)
				if allowed != c.allowed || rule != c.rule {
					t.Errorf("ingress=%v %v %d/%d: allowed %v by rule %d, want %v by rule %d", c.ingress, c.remote, c.port, c.protocol, allowed, rule, c.allowed, c.rule)
				}
			}
			// The Compiler gives the same tables.
			var cp Compiler
			again, err := cp.Compile(Input{
				Namespaces: testNamespaces(), Pods: testPods(), Policies: tt.policies,
				ClusterPolicies: tt.cnps, Local: map[string]int{"x/b": 11},
			})
			if err != nil {
				t.Fatal(err)
			}
			if fmt.Sprint(again) != fmt.Sprint(tables) {
				t.Errorf("Compiler tables differ from Compile's:\n%v\n%v", again, tables)
			}
		})
	}
}

// The rules are named for drop records in evaluation order.
func TestCompileTiersNamesRules(t *testing.T) {
	tables, err := Compile(Input{
		Namespaces: testNamespaces(), Pods: testPods(), Local: map[string]int{"x/b": 11},
		ClusterPolicies: []*npav1alpha2.ClusterNetworkPolicy{
			makeCNP("base", npav1alpha2.BaselineTier, 1, nil, cnpIngress(deny, nil)),
			makeCNP("admin", npav1alpha2.AdminTier, 7, nil, cnpIngress(pass, nil), cnpEgressNetworks(deny, "10.0.0.0/8")),
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range tables.Rules {
		got = append(got, r.String())
	}
	want := []string{
		"Admin cnp/admin prio 7 ingress rule 0: Pass",
		"Admin cnp/admin prio 7 egress rule 0: Deny",
		"Baseline cnp/base prio 1 ingress rule 0: Deny",
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("rules = %q, want %q", got, want)
	}
}

// A peer with none of the fields this enforcer knows fails closed: an
// Accept rule matches nothing through it, a Pass rule denies everything.
func TestCompileTiersFailClosed(t *testing.T) {
	empty := func(action npav1alpha2.ClusterNetworkPolicyRuleAction) cnpTweak {
		return func(p *npav1alpha2.ClusterNetworkPolicy) {
			p.Spec.Ingress = append(p.Spec.Ingress, npav1alpha2.ClusterNetworkPolicyIngressRule{Action: action, From: []npav1alpha2.ClusterNetworkPolicyIngressPeer{{}}})
		}
	}
	for _, tc := range []struct {
		action  npav1alpha2.ClusterNetworkPolicyRuleAction
		allowed bool
	}{{accept, false}, {pass, false}, {deny, false}} {
		tables, err := Compile(Input{
			Namespaces: testNamespaces(), Pods: testPods(), Local: map[string]int{"x/b": 11},
			Policies: []*networkingv1.NetworkPolicy{makePolicy("x", "deny-all", nil)},
			ClusterPolicies: []*npav1alpha2.ClusterNetworkPolicy{
				makeCNP("odd", npav1alpha2.AdminTier, 1, nil, empty(tc.action)),
				makeCNP("accept", npav1alpha2.AdminTier, 2, nil, cnpIngress(accept, nil)),
			},
		})
		if err != nil {
			t.Fatal(err)
		}
		// Accept skips the odd rule and the next Accept admits; Pass and
		// Deny become a Deny of everything.
		want := tc.action == accept
		if allowed, _ := lookup(t, tables, "x/b", true, addr("192.168.1.1"), TCP, 80); allowed != want {
			t.Errorf("%s with an empty peer: allowed %v, want %v", tc.action, allowed, want)
		}
	}
}

// portEntries' layout, looked up as the datapath does, gives every
// protocol and port the verdict of the part that holds it.
func TestPortEntriesDecideEveryPort(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 7))
	for round := range 200 {
		// Carve the whole space into a few parts by successive random cuts.
		open := fullSpace()
		var parts []decided
		for i := range 1 + r.IntN(5) {
			var cut portSet
			if r.IntN(4) == 0 {
				cut = anyPort()
			}
			for range r.IntN(4) {
				lo := uint16(r.IntN(65536))
				hi := min(uint32(lo)+uint32(r.IntN(3000)), 65535)
				cut.add(protocols[r.IntN(3)], lo, uint16(hi))
			}
			hit := open.intersect(spaceOf(cut))
			open = open.minus(hit)
			parts = append(parts, decided{ports: hit, verdict: verdict{deny: i%2 == 0, rule: uint32(i)}})
		}
		parts = append(parts, decided{ports: open})
		entries := portEntries(parts)
		for i := range entries {
			entries[i].Class = 1
		}
		tables := &Tables{
			Endpoints: []Endpoint{{Pod: "p", Ingress: 1}},
			Peers:     []Peer{{RuleSet: 1, Prefix: prefix("0.0.0.0/0"), Class: 1}},
			Ports:     entries,
		}
		want := func(protocol Protocol, port uint16) verdict {
			for _, d := range parts {
				i, kept := slot(protocol)
				if !kept && d.ports.other {
					return d.verdict
				}
				if kept && containsPort(d.ports.ranges[i], port) {
					return d.verdict
				}
			}
			t.Fatalf("round %d: %d/%d in no part", round, port, protocol)
			return verdict{}
		}
		check := func(protocol Protocol, port uint16) {
			allowed, rule := lookup(t, tables, "p", true, addr("10.0.0.1"), protocol, port)
			w := want(protocol, port)
			if allowed == w.deny || (w.deny && rule != w.rule) {
				t.Fatalf("round %d: %d/%d allowed %v by %d, want deny %v by %d; entries %v", round, port, protocol, allowed, rule, w.deny, w.rule, entries)
			}
		}
		check(1, 0)
		for _, protocol := range protocols {
			for port := 0; port < 65536; port += 1 + r.IntN(97) {
				check(protocol, uint16(port))
			}
		}
	}
}

func containsPort(ranges []portRange, port uint16) bool {
	for _, r := range ranges {
		if r.lo <= port && port <= r.hi {
			return true
		}
	}
	return false
}

// The range operations agree with a set of ports counted one by one.
func TestRangeOperations(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 3))
	const top = 300 // a small port space makes overlaps common
	randomRanges := func() ([]portRange, [top + 1]bool) {
		var set portSet
		var bits [top + 1]bool
		for range r.IntN(5) {
			lo := uint16(r.IntN(top))
			hi := min(lo+uint16(r.IntN(40)), top)
			set.add(TCP, lo, hi)
			for p := lo; p <= hi; p++ {
				bits[p] = true
			}
		}
		return set.ranges[0], bits
	}
	for range 2000 {
		a, aBits := randomRanges()
		b, bBits := randomRanges()
		inter, diff := intersectRanges(a, b), subtractRanges(a, b)
		for p := uint16(0); p <= top; p++ {
			if got, want := containsPort(inter, p), aBits[p] && bBits[p]; got != want {
				t.Fatalf("%v ∩ %v = %v: port %d in it %v, want %v", a, b, inter, p, got, want)
			}
			if got, want := containsPort(diff, p), aBits[p] && !bBits[p]; got != want {
				t.Fatalf("%v - %v = %v: port %d in it %v, want %v", a, b, diff, p, got, want)
			}
		}
	}
}
