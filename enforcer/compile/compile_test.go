package compile

import (
	"reflect"
	"testing"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// xb is the test cluster's x/b as the only local endpoint.
func xb(ingress, egress RuleSet) Endpoint {
	return Endpoint{Pod: "x/b", IP: addr("192.168.0.2"), Ifindex: 11, Identity: 1, Ingress: ingress, Egress: egress}
}

var anyPorts = func(class Class) PortPrefix { return PortPrefix{Class: class, Protocol: AnyProtocol} }

func TestCompile(t *testing.T) {
	tests := []struct {
		name     string
		pods     []*corev1.Pod // added to testPods()
		policies []*networkingv1.NetworkPolicy
		local    map[string]int // {"x/b": 11} when nil
		want     Tables
	}{
		{
			name: "no policy leaves the endpoint open",
			want: Tables{Endpoints: []Endpoint{xb(NotIsolated, NotIsolated)}},
		},
		{
			name:     "a policy without rules isolates ingress only",
			policies: []*networkingv1.NetworkPolicy{makePolicy("x", "deny", nil)},
			want:     Tables{Endpoints: []Endpoint{xb(1, NotIsolated)}},
		},
		{
			name:     "a policy of another namespace selects nothing here",
			policies: []*networkingv1.NetworkPolicy{makePolicy("y", "deny", nil)},
			want:     Tables{Endpoints: []Endpoint{xb(NotIsolated, NotIsolated)}},
		},
		{
			name:     "a pod selector peer stays in the policy's namespace",
			policies: []*networkingv1.NetworkPolicy{makePolicy("x", "from-a", map[string]string{"app": "b"}, withIngress(peers(podPeer(map[string]string{"app": "a"}))))},
			want: Tables{
				Endpoints: []Endpoint{xb(1, NotIsolated)},
				Peers:     []Peer{{1, prefix("192.168.0.1/32"), 1}},
				Ports:     []PortPrefix{anyPorts(1)},
			},
		},
		{
			name:     "a namespace selector peer takes every pod of the namespaces",
			policies: []*networkingv1.NetworkPolicy{makePolicy("x", "from-blue", nil, withIngress(peers(nsPeer(map[string]string{"team": "blue"}))))},
			want: Tables{
				Endpoints: []Endpoint{xb(1, NotIsolated)},
				Peers:     []Peer{{1, prefix("192.168.1.1/32"), 1}, {1, prefix("192.168.1.2/32"), 1}},
				Ports:     []PortPrefix{anyPorts(1)},
			},
		},
		{
			name:     "namespace and pod selector in one peer must both match",
			policies: []*networkingv1.NetworkPolicy{makePolicy("x", "from-blue-a", nil, withIngress(peers(nsPodPeer(map[string]string{"team": "blue"}, map[string]string{"app": "a"}))))},
			want: Tables{
				Endpoints: []Endpoint{xb(1, NotIsolated)},
				Peers:     []Peer{{1, prefix("192.168.1.1/32"), 1}},
				Ports:     []PortPrefix{anyPorts(1)},
			},
		},
		{
			name:     "the name label is there even when the namespace object lacks it",
			policies: []*networkingv1.NetworkPolicy{makePolicy("x", "from-x", nil, withIngress(peers(nsPeer(map[string]string{"kubernetes.io/metadata.name": "x"}))))},
			want: Tables{
				Endpoints: []Endpoint{xb(1, NotIsolated)},
				Peers:     []Peer{{1, prefix("192.168.0.1/32"), 1}, {1, prefix("192.168.0.2/32"), 1}},
				Ports:     []PortPrefix{anyPorts(1)},
			},
		},
		{
			name:     "an empty namespace selector takes pods of namespaces the input does not list",
			pods:     []*corev1.Pod{makePod("w", "c", "192.168.2.1", nil)},
			policies: []*networkingv1.NetworkPolicy{makePolicy("x", "from-w", nil, withIngress(peers(nsPeer(map[string]string{"kubernetes.io/metadata.name": "w"}))))},
			want: Tables{
				Endpoints: []Endpoint{xb(1, NotIsolated)},
				Peers:     []Peer{{1, prefix("192.168.2.1/32"), 1}},
				Ports:     []PortPrefix{anyPorts(1)},
			},
		},
		{
			name:     "several peers of a rule add up",
			policies: []*networkingv1.NetworkPolicy{makePolicy("x", "two", nil, withIngress(peers(podPeer(map[string]string{"app": "a"}), blockPeer("10.0.0.0/8"))))},
			want: Tables{
				Endpoints: []Endpoint{xb(1, NotIsolated)},
				Peers:     []Peer{{1, prefix("10.0.0.0/8"), 1}, {1, prefix("192.168.0.1/32"), 1}},
				Ports:     []PortPrefix{anyPorts(1)},
			},
		},
		{
			name:     "an empty from admits every address",
			policies: []*networkingv1.NetworkPolicy{makePolicy("x", "all", nil, withIngress(nil))},
			want: Tables{
				Endpoints: []Endpoint{xb(1, NotIsolated)},
				Peers:     []Peer{{1, prefix("0.0.0.0/0"), 1}},
				Ports:     []PortPrefix{anyPorts(1)},
			},
		},
		{
			name:     "egress rules without policyTypes isolate both directions",
			policies: []*networkingv1.NetworkPolicy{makePolicy("x", "dns", nil, withEgress(peers(podPeer(map[string]string{"app": "a"})), port("", 53)))},
			want: Tables{
				Endpoints: []Endpoint{xb(1, 2)},
				Peers:     []Peer{{2, prefix("192.168.0.1/32"), 1}},
				Ports:     []PortPrefix{pp(1, TCP, 53, 16)},
			},
		},
		{
			name:     "policyTypes Egress alone isolates egress only",
			policies: []*networkingv1.NetworkPolicy{makePolicy("x", "deny-egress", nil, withTypes(networkingv1.PolicyTypeEgress))},
			want:     Tables{Endpoints: []Endpoint{xb(NotIsolated, 1)}},
		},
		{
			name: "ipBlock except is carved out of the block",
			policies: []*networkingv1.NetworkPolicy{makePolicy("x", "block", nil,
				withIngress(peers(blockPeer("192.168.0.0/16", "192.168.1.0/24")), port(corev1.ProtocolTCP, 80)))},
			want: Tables{
				Endpoints: []Endpoint{xb(1, NotIsolated)},
				Peers: []Peer{
					{1, prefix("192.168.0.0/24"), 1}, {1, prefix("192.168.2.0/23"), 1}, {1, prefix("192.168.4.0/22"), 1},
					{1, prefix("192.168.8.0/21"), 1}, {1, prefix("192.168.16.0/20"), 1}, {1, prefix("192.168.32.0/19"), 1},
					{1, prefix("192.168.64.0/18"), 1}, {1, prefix("192.168.128.0/17"), 1},
				},
				Ports: []PortPrefix{pp(1, TCP, 80, 16)},
			},
		},
		{
			name: "numeric ports, ranges and protocols",
			policies: []*networkingv1.NetworkPolicy{makePolicy("x", "ports", nil, withIngress(nil,
				port("", 80), policyPortRange(corev1.ProtocolUDP, 998, 1001), protocolOnly(corev1.ProtocolSCTP), port(corev1.ProtocolUDP, 53)))},
			want: Tables{
				Endpoints: []Endpoint{xb(1, NotIsolated)},
				Peers:     []Peer{{1, prefix("0.0.0.0/0"), 1}},
				Ports: []PortPrefix{
					pp(1, TCP, 80, 16), pp(1, UDP, 53, 16), pp(1, UDP, 998, 15), pp(1, UDP, 1000, 15), pp(1, SCTP, 0, 0),
				},
			},
		},
		{
			name: "named ports on ingress are the endpoint's own, protocol included",
			policies: []*networkingv1.NetworkPolicy{makePolicy("x", "named", nil, withIngress(nil,
				policyNamedPort("", "http"), policyNamedPort(corev1.ProtocolUDP, "dns"), policyNamedPort("", "dns"), policyNamedPort("", "metrics")))},
			want: Tables{
				Endpoints: []Endpoint{xb(1, NotIsolated)},
				Peers:     []Peer{{1, prefix("0.0.0.0/0"), 1}},
				Ports:     []PortPrefix{pp(1, TCP, 80, 16), pp(1, UDP, 53, 16)},
			},
		},
		{
			name:     "a named port the endpoint does not serve admits nothing",
			policies: []*networkingv1.NetworkPolicy{makePolicy("x", "metrics", nil, withIngress(nil, policyNamedPort("", "metrics")))},
			want:     Tables{Endpoints: []Endpoint{xb(1, NotIsolated)}},
		},
		{
			name: "named ports on egress are each peer's own",
			policies: []*networkingv1.NetworkPolicy{makePolicy("x", "to-blue", map[string]string{"app": "b"}, withTypes(networkingv1.PolicyTypeEgress),
				withEgress(peers(nsPeer(map[string]string{"team": "blue"})), policyNamedPort("", "http"), port("", 443)))},
			want: Tables{
				Endpoints: []Endpoint{xb(NotIsolated, 1)},
				Peers:     []Peer{{1, prefix("192.168.1.1/32"), 1}, {1, prefix("192.168.1.2/32"), 2}},
				Ports:     []PortPrefix{pp(1, TCP, 443, 16), pp(1, TCP, 8080, 16), pp(2, TCP, 443, 16)},
			},
		},
		{
			name: "named ports on egress reach the pods inside an ipBlock",
			policies: []*networkingv1.NetworkPolicy{makePolicy("x", "to-block", nil, withTypes(networkingv1.PolicyTypeEgress),
				withEgress(peers(blockPeer("192.168.1.0/24", "192.168.1.2/32")), policyNamedPort(corev1.ProtocolUDP, "dns")))},
			want: Tables{
				Endpoints: []Endpoint{xb(NotIsolated, 1)},
				Peers:     []Peer{{1, prefix("192.168.1.1/32"), 1}},
				Ports:     []PortPrefix{pp(1, UDP, 5353, 16)},
			},
		},
		{
			name: "policies add up and a nested prefix keeps its enclosing ports",
			policies: []*networkingv1.NetworkPolicy{
				makePolicy("x", "p1", nil, withIngress(peers(blockPeer("10.0.0.0/8")), port("", 80))),
				makePolicy("x", "p2", nil, withIngress(peers(blockPeer("10.1.0.0/16")), port("", 443))),
				makePolicy("x", "p3", nil, withIngress(peers(blockPeer("10.1.2.0/24")), port("", 80))),
			},
			want: Tables{
				Endpoints: []Endpoint{xb(1, NotIsolated)},
				Peers:     []Peer{{1, prefix("10.0.0.0/8"), 1}, {1, prefix("10.1.0.0/16"), 2}},
				Ports:     []PortPrefix{pp(1, TCP, 80, 16), pp(2, TCP, 80, 16), pp(2, TCP, 443, 16)},
			},
		},
		{
			name:     "endpoints with the same rules share a rule set",
			policies: []*networkingv1.NetworkPolicy{makePolicy("x", "from-a", nil, withIngress(peers(podPeer(map[string]string{"app": "a"}))))},
			local:    map[string]int{"x/b": 11, "x/a": 10},
			want: Tables{
				Endpoints: []Endpoint{
					{Pod: "x/a", IP: addr("192.168.0.1"), Ifindex: 10, Identity: 1, Ingress: 1},
					{Pod: "x/b", IP: addr("192.168.0.2"), Ifindex: 11, Identity: 2, Ingress: 1},
				},
				Peers: []Peer{{1, prefix("192.168.0.1/32"), 1}},
				Ports: []PortPrefix{anyPorts(1)},
			},
		},
		{
			name: "matchExpressions select like labels do",
			policies: []*networkingv1.NetworkPolicy{makePolicy("x", "exprs", nil, func(np *networkingv1.NetworkPolicy) {
				np.Spec.PodSelector = metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{{Key: "tier", Operator: metav1.LabelSelectorOpIn, Values: []string{"web"}}}}
				np.Spec.Ingress = []networkingv1.NetworkPolicyIngressRule{{From: peers(networkingv1.NetworkPolicyPeer{
					NamespaceSelector: &metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{{Key: "team", Operator: metav1.LabelSelectorOpNotIn, Values: []string{"red"}}}},
					PodSelector:       &metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{{Key: "tier", Operator: metav1.LabelSelectorOpDoesNotExist}}},
				})}}
			})},
			want: Tables{
				Endpoints: []Endpoint{xb(1, NotIsolated)},
				Peers:     []Peer{{1, prefix("192.168.1.2/32"), 1}},
				Ports:     []PortPrefix{anyPorts(1)},
			},
		},
		{
			name: "host-network and finished pods are never peers",
			pods: []*corev1.Pod{
				makePod("x", "host", "192.168.0.9", map[string]string{"app": "a"}, func(p *corev1.Pod) { p.Spec.HostNetwork = true }),
				makePod("x", "done", "192.168.0.8", map[string]string{"app": "a"}, func(p *corev1.Pod) { p.Status.Phase = corev1.PodSucceeded }),
			},
			policies: []*networkingv1.NetworkPolicy{makePolicy("x", "from-a", nil, withIngress(peers(podPeer(map[string]string{"app": "a"}))))},
			want: Tables{
				Endpoints: []Endpoint{xb(1, NotIsolated)},
				Peers:     []Peer{{1, prefix("192.168.0.1/32"), 1}},
				Ports:     []PortPrefix{anyPorts(1)},
			},
		},
		{
			name:  "local endpoints without an address or a pod are skipped",
			pods:  []*corev1.Pod{makePod("x", "pending", "", nil)},
			local: map[string]int{"x/b": 11, "x/gone": 12, "x/pending": 13},
			want: Tables{
				Endpoints: []Endpoint{xb(NotIsolated, NotIsolated)},
				Skipped: []SkippedEndpoint{
					{Pod: "x/gone", Reason: "no running pod with an IPv4 address"},
					{Pod: "x/pending", Reason: "no running pod with an IPv4 address"},
				},
			},
		},
		{
			name:  "a second local endpoint with a taken address is skipped",
			pods:  []*corev1.Pod{makePod("x", "twin", "192.168.0.2", nil)},
			local: map[string]int{"x/b": 11, "x/twin": 12},
			want: Tables{
				Endpoints: []Endpoint{xb(NotIsolated, NotIsolated)},
				Skipped:   []SkippedEndpoint{{Pod: "x/twin", Reason: "address 192.168.0.2 also belongs to x/b"}},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			local := tt.local
			if local == nil {
				local = map[string]int{"x/b": 11}
			}
			got, err := Compile(Input{
				Namespaces: testNamespaces(),
				Pods:       append(testPods(), tt.pods...),
				Policies:   tt.policies,
				Local:      local,
			})
			if err != nil {
				t.Fatalf("Compile: %v", err)
			}
			if !reflect.DeepEqual(*got, tt.want) {
				t.Fatalf("tables differ\n got: %+v\nwant: %+v", *got, tt.want)
			}
		})
	}
}

func TestCompileErrors(t *testing.T) {
	bad := corev1.Protocol("ICMP")
	tests := []struct {
		name   string
		policy *networkingv1.NetworkPolicy
		local  map[string]int
		want   string
	}{
		{
			name:   "unknown protocol",
			policy: makePolicy("x", "p", nil, withIngress(nil, networkingv1.NetworkPolicyPort{Protocol: &bad})),
			want:   `compile: policy x/p: ingress rule 0: port 0: unknown protocol "ICMP"`,
		},
		{
			name:   "endPort below port",
			policy: makePolicy("x", "p", nil, withEgress(nil, policyPortRange("", 90, 80))),
			want:   "compile: policy x/p: egress rule 0: port 0: range 90-80 outside 1-65535",
		},
		{
			name: "endPort with a named port",
			policy: makePolicy("x", "p", nil, withIngress(nil, func() networkingv1.NetworkPolicyPort {
				p := policyNamedPort("", "http")
				e := int32(90)
				p.EndPort = &e
				return p
			}())),
			want: `compile: policy x/p: ingress rule 0: port 0: endPort with named port "http"`,
		},
		{
			name:   "malformed cidr",
			policy: makePolicy("x", "p", nil, withIngress(peers(podPeer(nil), blockPeer("10.0.0.0/33")))),
			want:   `compile: policy x/p: ingress rule 0: peer 1: ipBlock cidr: netip.ParsePrefix("10.0.0.0/33"): prefix length out of range`,
		},
		{
			name: "ipBlock beside a selector",
			policy: makePolicy("x", "p", nil, withIngress(peers(networkingv1.NetworkPolicyPeer{
				IPBlock: &networkingv1.IPBlock{CIDR: "10.0.0.0/8"}, PodSelector: &metav1.LabelSelector{}}))),
			want: "compile: policy x/p: ingress rule 0: peer 0: ipBlock cannot be combined with selectors",
		},
		{
			name:   "empty peer",
			policy: makePolicy("x", "p", nil, withIngress(peers(networkingv1.NetworkPolicyPeer{}))),
			want:   "compile: policy x/p: ingress rule 0: peer 0: peer sets none of podSelector, namespaceSelector, ipBlock",
		},
		{
			name: "bad selector operator",
			policy: makePolicy("x", "p", nil, func(np *networkingv1.NetworkPolicy) {
				np.Spec.PodSelector.MatchExpressions = []metav1.LabelSelectorRequirement{{Key: "a", Operator: "Near"}}
			}),
			want: `compile: policy x/p: podSelector: label selector: "Near" is not a valid label selector operator`,
		},
		{
			name:   "ifindex out of range",
			policy: makePolicy("x", "p", nil),
			local:  map[string]int{"x/b": 0},
			want:   "compile: local endpoint x/b: ifindex 0 out of range",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			local := tt.local
			if local == nil {
				local = map[string]int{"x/b": 11}
			}
			_, err := Compile(Input{Namespaces: testNamespaces(), Pods: testPods(), Policies: []*networkingv1.NetworkPolicy{tt.policy}, Local: local})
			if err == nil || err.Error() != tt.want {
				t.Fatalf("error = %v, want %q", err, tt.want)
			}
		})
	}
}

func TestPods(t *testing.T) {
	tables := Tables{Endpoints: []Endpoint{{Pod: "x/a", Identity: 1}, {Pod: "y/b", Identity: 2}}}
	want := map[uint32]string{1: "x/a", 2: "y/b"}
	if got := tables.Pods(); !reflect.DeepEqual(got, want) {
		t.Fatalf("Pods() = %v, want %v", got, want)
	}
}
