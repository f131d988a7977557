package generate

import (
	"fmt"
	"strings"
	"testing"
)

// ok is a valid combo that each table row tweaks one way.
var ok = combo{
	direction: DirectionIngress, target: TargetAll, peer: PeerNamespaceSelector, namespace: NamespaceOther,
	port: PortNumeric, protocol: ProtocolUDP, step: StepUpdate,
}

func tweak(f func(c *combo)) combo {
	c := ok
	f(&c)
	return c
}

func TestInvalidReason(t *testing.T) {
	tests := []struct {
		name string
		c    combo
		want string
	}{
		{"valid", ok, ""},
		{"pod selector in another namespace", tweak(func(c *combo) { c.peer = PeerPodSelector }),
			"a pod selector alone only reaches the policy's own namespace"},
		{"pod selector in the same namespace", tweak(func(c *combo) { c.peer, c.namespace = PeerPodSelector, NamespaceSame }), ""},
		{"ipBlock waiting for a label", tweak(func(c *combo) {
			c.peer, c.namespace, c.step = PeerIPBlockExcept, NamespaceRelabel, StepRelabelNamespace
		}), "an ipBlock ignores namespace labels"},
		{"ipBlock in another namespace", tweak(func(c *combo) { c.peer = PeerIPBlock }), ""},
		{"empty peer in one namespace", tweak(func(c *combo) { c.peer = PeerEmpty }), "a rule without peers admits every namespace"},
		{"empty peer everywhere", tweak(func(c *combo) { c.peer, c.namespace = PeerEmpty, NamespaceAll }), ""},
		{"no rule in another namespace", tweak(func(c *combo) { c.peer, c.port = PeerNoRule, PortNone }),
			"an empty rule list admits nothing; it only isolates the policy's own namespace"},
		{"no rule with a port", tweak(func(c *combo) { c.peer, c.namespace = PeerNoRule, NamespaceSame }),
			"an empty rule list has no ports"},
		{"no rule", tweak(func(c *combo) {
			c.peer, c.namespace, c.port, c.protocol = PeerNoRule, NamespaceSame, PortNone, ProtocolTCP
		}), ""},
		{"no ports on udp", tweak(func(c *combo) { c.port = PortNone }),
			"a rule without ports admits every protocol; it is filed under tcp, the API default"},
		{"relabel namespace without its step", tweak(func(c *combo) { c.namespace = NamespaceRelabel }),
			"a namespace selected by a later label needs the relabel-namespace step"},
		{"relabel step without a waiting selector", tweak(func(c *combo) { c.step = StepRelabelNamespace }),
			"a namespace relabel only matters to a selector waiting for the new label"},
		{"relabel namespace", tweak(func(c *combo) { c.namespace, c.step = NamespaceRelabel, StepRelabelNamespace }), ""},
		{"pod relabel with nothing to match", tweak(func(c *combo) { c.step = StepRelabelPod }),
			"no pod selector that a pod relabel could make match"},
		{"pod relabel of the target", tweak(func(c *combo) { c.step, c.target = StepRelabelPod, TargetMatchExpressions }), ""},
		{"pod relabel of the peer", tweak(func(c *combo) { c.step, c.peer = StepRelabelPod, PeerTwoPeers }), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := invalidReason(tt.c); got != tt.want {
				t.Errorf("invalidReason(%+v) = %q, want %q", tt.c, got, tt.want)
			}
		})
	}
}

func TestCombinationCounts(t *testing.T) {
	raw := rawCombos()
	// Every combination of every dimension's values, computed from the
	// dimensions so that adding a value needs no edit here.
	product := 1
	for _, d := range Dimensions() {
		product *= len(d.Values)
	}
	if len(raw) != product {
		t.Errorf("raw combinations = %d, want %d, the product of the dimensions' sizes", len(raw), product)
	}
	if raw[0] != comboOf([dimensionCount]string{"ingress", "all", "pod-selector", "same", "none", "tcp", "create"}) {
		t.Errorf("first raw combination = %+v, want the first value of every dimension", raw[0])
	}
	valid := validCombos()
	if len(valid) != 7950 {
		t.Errorf("valid combinations = %d, want 7950", len(valid))
	}
	steps := 0
	for _, c := range valid {
		steps += stepCount(c)
	}
	if steps != 13902 {
		t.Errorf("steps of the valid combinations = %d, want 13902", steps)
	}
}

func TestComboValuesRoundTrip(t *testing.T) {
	for _, c := range validCombos() {
		if got := comboOf(c.values()); got != c {
			t.Fatalf("comboOf(values(%+v)) = %+v", c, got)
		}
	}
}

func TestDimensions(t *testing.T) {
	dims := Dimensions()
	var got []string
	for _, d := range dims {
		got = append(got, fmt.Sprintf("%s:%d", d.Name, len(d.Values)))
	}
	want := "direction:3 target:3 peer:8 namespace:4 port:5 protocol:3 step:5"
	if strings.Join(got, " ") != want {
		t.Errorf("Dimensions = %s, want %s", strings.Join(got, " "), want)
	}
	dims[0].Values[0] = "changed"
	if Dimensions()[0].Values[0] != DirectionIngress {
		t.Error("changing the result of Dimensions changed the dimensions")
	}
}
