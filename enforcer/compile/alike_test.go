package compile

import (
	"reflect"
	"testing"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
)

// Endpoints compiled once per kind must still get exactly the rules each
// would get alone: the kind has to include everything the rules depend on.
func TestAlikeEndpointsShareRules(t *testing.T) {
	pods := []*corev1.Pod{
		makePod("x", "web-1", "192.168.0.1", map[string]string{"app": "web"}, withPort("http", 80, corev1.ProtocolTCP)),
		makePod("x", "web-2", "192.168.0.2", map[string]string{"app": "web"}, withPort("http", 80, corev1.ProtocolTCP)),
		// Same labels, but "http" is another port: a named-port rule differs.
		makePod("x", "web-3", "192.168.0.3", map[string]string{"app": "web"}, withPort("http", 8080, corev1.ProtocolTCP)),
		// Same labels and ports in another namespace: other policies.
		makePod("y", "web-1", "192.168.1.1", map[string]string{"app": "web"}, withPort("http", 80, corev1.ProtocolTCP)),
		// A label more that no policy looks at: the same rules.
		makePod("x", "web-4", "192.168.0.4", map[string]string{"app": "web", "version": "2"}, withPort("http", 80, corev1.ProtocolTCP)),
		// A label more that a policy selects: isolated for egress too.
		makePod("x", "web-5", "192.168.0.5", map[string]string{"app": "web", "canary": "true"}, withPort("http", 80, corev1.ProtocolTCP)),
	}
	policies := []*networkingv1.NetworkPolicy{
		makePolicy("x", "web", map[string]string{"app": "web"},
			withIngress(peers(podPeer(nil)), policyNamedPort(corev1.ProtocolTCP, "http"))),
		makePolicy("x", "canary", map[string]string{"canary": "true"}, withTypes(networkingv1.PolicyTypeEgress)),
	}
	local := map[string]int{"x/web-1": 11, "x/web-2": 12, "x/web-3": 13, "y/web-1": 14, "x/web-4": 15, "x/web-5": 16}
	tables, err := Compile(Input{Namespaces: testNamespaces(), Pods: pods, Policies: policies, Local: local})
	if err != nil {
		t.Fatalf("Compile: %v", err)
	}
	got := map[string][2]RuleSet{}
	for _, ep := range tables.Endpoints {
		got[ep.Pod] = [2]RuleSet{ep.Ingress, ep.Egress}
	}
	// Rule sets are numbered in endpoint order, x/web-1 to x/web-5 then
	// y/web-1; rule set 3 isolates and admits nothing.
	want := map[string][2]RuleSet{
		"x/web-1": {1, NotIsolated}, "x/web-2": {1, NotIsolated}, "x/web-3": {2, NotIsolated},
		"x/web-4": {1, NotIsolated}, "x/web-5": {1, 3}, "y/web-1": {NotIsolated, NotIsolated},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("rule sets (ingress, egress) = %v, want %v", got, want)
	}
	wantPorts := []PortPrefix{{Class: 1, Protocol: TCP, Port: 80, Bits: 16}, {Class: 2, Protocol: TCP, Port: 8080, Bits: 16}}
	if !reflect.DeepEqual(tables.Ports, wantPorts) {
		t.Errorf("ports = %v, want %v", tables.Ports, wantPorts)
	}
}

func TestKindKey(t *testing.T) {
	base := func() *pod {
		return &pod{namespace: "x", labels: map[string]string{"app": "web", "tier": "1"},
			ports: []corev1.ContainerPort{{Name: "http", ContainerPort: 80, Protocol: corev1.ProtocolTCP}}}
	}
	tests := []struct {
		name  string
		tweak func(*pod)
		same  bool
	}{
		{"identical", func(*pod) {}, true},
		{"labels in another order", func(p *pod) { p.labels = map[string]string{"tier": "1", "app": "web"} }, true},
		{"another namespace", func(p *pod) { p.namespace = "y" }, false},
		{"another label value", func(p *pod) { p.labels["tier"] = "2" }, false},
		{"a label more", func(p *pod) { p.labels["canary"] = "true" }, false},
		{"a value that reads like two labels", func(p *pod) { p.labels = map[string]string{"app": "web\" \"tier\"=\"1"} }, false},
		{"another port number", func(p *pod) { p.ports[0].ContainerPort = 81 }, false},
		{"another port name", func(p *pod) { p.ports[0].Name = "web" }, false},
		{"another protocol", func(p *pod) { p.ports[0].Protocol = corev1.ProtocolUDP }, false},
	}
	for _, tt := range tests {
		p := base()
		tt.tweak(p)
		if got := p.kindKey() == base().kindKey(); got != tt.same {
			t.Errorf("%s: same key %v, want %v (%s vs %s)", tt.name, got, tt.same, p.kindKey(), base().kindKey())
		}
	}
}

func TestUnionRanges(t *testing.T) {
	r := func(pairs ...uint16) []portRange {
		var out []portRange
		for i := 0; i < len(pairs); i += 2 {
			out = append(out, portRange{pairs[i], pairs[i+1]})
		}
		return out
	}
	tests := []struct {
		name      string
		have, add []portRange
		want      []portRange
		unchanged bool
	}{
		{"into nothing", nil, r(5, 9), r(5, 9), false},
		{"nothing added", r(5, 9), nil, r(5, 9), true},
		{"inside", r(1, 3, 5, 9), r(6, 7), r(1, 3, 5, 9), true},
		{"before", r(5, 9), r(1, 2), r(1, 2, 5, 9), false},
		{"after", r(5, 9), r(20, 30), r(5, 9, 20, 30), false},
		{"adjacent below joins", r(5, 9), r(1, 4), r(1, 9), false},
		{"adjacent above joins", r(5, 9), r(10, 12), r(5, 12), false},
		{"bridges two", r(1, 3, 7, 9), r(4, 6), r(1, 9), false},
		{"overlaps the end", r(1, 3, 7, 9), r(8, 12), r(1, 3, 7, 12), false},
		{"swallows all", r(2, 3, 7, 9), r(1, 65535), r(1, 65535), false},
		{"straddles a gap", r(1, 3, 7, 9), r(2, 8), r(1, 9), false},
		{"top port", r(65535, 65535), r(65534, 65534), r(65534, 65535), false},
	}
	for _, tt := range tests {
		have := append([]portRange(nil), tt.have...)
		got := unionRanges(have, tt.add)
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%s: unionRanges(%v, %v) = %v, want %v", tt.name, tt.have, tt.add, got, tt.want)
		}
		if same := len(got) > 0 && len(have) > 0 && &got[0] == &have[0]; same != tt.unchanged {
			t.Errorf("%s: returned have itself %v, want %v", tt.name, same, tt.unchanged)
		}
		if !reflect.DeepEqual(have, tt.have) && !(len(have) == 0 && len(tt.have) == 0) {
			t.Errorf("%s: have changed to %v", tt.name, have)
		}
	}
}
