package scenarios

import (
	"fmt"
	"strings"
	"testing"

	networkingv1 "k8s.io/api/networking/v1"
)

func parseOne(t *testing.T, doc string) *Scenario {
	t.Helper()
	ss, err := Parse("test.yaml", []byte(doc))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	if len(ss) != 1 {
		t.Fatalf("Parse gave %d scenarios, want 1", len(ss))
	}
	return ss[0]
}

func addresses(w *World) map[string]string {
	out := map[string]string{}
	for _, p := range w.Pods {
		out[p.ID()] = p.IP
	}
	return out
}

func TestDeterministicAddresses(t *testing.T) {
	tests := []struct {
		name string
		doc  string
		want map[string]string // after the last step
	}{{
		name: "pinned addresses are skipped",
		doc:  `{name: s, model: {namespaces: [{name: x, pods: [{name: a}, {name: b, ip: 192.168.0.11}, {name: c}]}]}, steps: [{name: s}]}`,
		want: map[string]string{"x/a": "192.168.0.10", "x/b": "192.168.0.11", "x/c": "192.168.0.12"},
	}, {
		name: "an address pinned by a later step is reserved from the start",
		doc: `{name: s, model: {namespaces: [{name: x, pods: [{name: a}, {name: c}]}]},
		       steps: [{name: s, actions: [{createPod: {namespace: x, name: b, ip: 192.168.0.11}}]}]}`,
		want: map[string]string{"x/a": "192.168.0.10", "x/c": "192.168.0.12", "x/b": "192.168.0.11"},
	}, {
		name: "addresses are never reused",
		doc: `{name: s, model: {namespaces: [{name: x, pods: [{name: a}, {name: b}]}]},
		       steps: [{name: s, actions: [{deletePod: x/a}, {createPod: {namespace: x, name: d}}, {createPod: {namespace: x, name: a}}]}]}`,
		want: map[string]string{"x/b": "192.168.0.11", "x/d": "192.168.0.12", "x/a": "192.168.0.13"},
	}, {
		name: "namespaces created by steps continue the count, also after deletions",
		doc: `{name: s, model: {namespaces: [{name: x}, {name: y}]},
		       steps: [{name: s, actions: [
		         {createNamespace: {name: z}}, {createPod: {namespace: z, name: a}},
		         {deleteNamespace: z}, {createNamespace: {name: w}}, {createPod: {namespace: w, name: a}},
		         {createNamespace: {name: z}}, {createPod: {namespace: z, name: a}},
		         {createPod: {namespace: y, name: a}}]}]}`,
		want: map[string]string{"w/a": "192.168.3.10", "z/a": "192.168.4.10", "y/a": "192.168.1.10"},
	}, {
		name: "a namespace without pods still takes its /24",
		doc:  `{name: s, model: {namespaces: [{name: x}, {name: y}, {name: z, pods: [{name: a}]}]}, steps: [{name: s}]}`,
		want: map[string]string{"z/a": "192.168.2.10"},
	}, {
		name: "a custom pod CIDR",
		doc:  `{name: s, model: {podCIDR: 10.8.0.0/23, namespaces: [{name: x, pods: [{name: a}]}, {name: y, pods: [{name: a}]}]}, steps: [{name: s}]}`,
		want: map[string]string{"x/a": "10.8.0.10", "y/a": "10.8.1.10"},
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, worlds := runSteps(t, parseOne(t, tc.doc))
			equalJSON(t, "addresses", addresses(worlds[len(worlds)-1]), tc.want)
		})
	}
}

func TestModelErrors(t *testing.T) {
	tests := []struct{ name, doc, want string }{
		{"pod CIDR too narrow", `{name: s, model: {podCIDR: 10.0.0.0/25, namespaces: []}, steps: [{name: s}]}`,
			`test.yaml:1: model.podCIDR: pod CIDR "10.0.0.0/25" must be /24 or wider: each namespace starts with a /24`},
		{"pod CIDR IPv6", `{name: s, model: {podCIDR: "fd00::/64", namespaces: []}, steps: [{name: s}]}`,
			`test.yaml:1: model.podCIDR: pod CIDR "fd00::/64" is IPv6: IPv6 and dual-stack pods are not supported yet`},
		{"pod IP loopback", `{name: s, model: {namespaces: [{name: a, pods: [{name: p, ip: 127.0.0.2}]}]}, steps: [{name: s}]}`,
			`test.yaml:1: model.namespaces[0].pods[0].ip: pod IP "127.0.0.2" is a loopback address, not a host address`},
		{"pod IP IPv6", `{name: s, model: {namespaces: [{name: a, pods: [{name: p, ip: "fd00::1"}]}]}, steps: [{name: s}]}`,
			`test.yaml:1: model.namespaces[0].pods[0].ip: pod IP "fd00::1" is IPv6: IPv6 and dual-stack pods are not supported yet`},
		{"pod IP link-local", `{name: s, model: {namespaces: [{name: a, pods: [{name: p, ip: 169.254.3.3}]}]}, steps: [{name: s}]}`,
			`test.yaml:1: model.namespaces[0].pods[0].ip: pod IP "169.254.3.3" is link-local (169.254.0.0/16), which no CNI gives a pod`},
		{"pod IP of an external host", `{name: s, model: {externalHosts: [{name: e, ip: 10.1.1.1}], namespaces: [{name: a, pods: [{name: p, ip: 10.1.1.1}]}]}, steps: [{name: s}]}`,
			`test.yaml:1: model.externalHosts[0].ip: external host IP "10.1.1.1" is pinned as a pod's address`},
		{"external host inside the pod CIDR", `{name: s, model: {namespaces: [], externalHosts: [{name: e, ip: 192.168.9.9}]}, steps: [{name: s}]}`,
			`test.yaml:1: model.externalHosts[0].ip: external host IP "192.168.9.9" is inside the pod CIDR 192.168.0.0/16`},
		{"external hosts sharing an IP", `{name: s, model: {namespaces: [], externalHosts: [{name: e, ip: 10.1.1.1}, {name: f, ip: 10.1.1.1}]}, steps: [{name: s}]}`,
			`test.yaml:1: model.externalHosts[1].ip: external host IP "10.1.1.1" is already used by e`},
		{"bad namespace name", `{name: s, model: {namespaces: [{name: X}]}, steps: [{name: s}]}`,
			`test.yaml:1: model.namespaces[0].name: invalid name "X": a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character`},
		{"port name used twice after merging", `{name: s, model: {defaultPorts: [{port: 80, name: web}], namespaces: [{name: x, pods: [{name: a, ports: [{port: 81, name: web}]}]}]}, steps: [{name: s}]}`,
			`test.yaml:1: model.namespaces[0].pods[0].ports: port name "web" is used by both 80/TCP and 81/TCP`},
		{"createNamespace with pods", `{name: s, model: {namespaces: []}, steps: [{name: s, actions: [{createNamespace: {name: n, pods: [{name: a}]}}]}]}`,
			`test.yaml:1: steps[0].actions[0].createNamespace.pods: createNamespace cannot create pods: add createPod actions after it`},
		{"removing the namespace name label", `{name: s, model: {namespaces: [{name: x}]}, steps: [{name: s, actions: [{removeNamespaceLabels: {namespace: x, keys: [kubernetes.io/metadata.name]}}]}]}`,
			`test.yaml:1: steps[0].actions[0].removeNamespaceLabels.keys[0]: cannot remove kubernetes.io/metadata.name: the API server keeps it`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse("test.yaml", []byte(tc.doc))
			if err == nil || err.Error() != tc.want {
				t.Errorf("error\n got: %v\nwant: %s", err, tc.want)
			}
		})
	}
}

func TestHostNumbersOverflow(t *testing.T) {
	// A namespace past its /24 goes on at the top of the range, and a third
	// namespace of a /23 (which has room for two /24s) gets overflow addresses.
	var b strings.Builder
	b.WriteString("{name: s, model: {podCIDR: 10.0.0.0/23, namespaces: [{name: a, pods: [")
	for i := range 250 {
		fmt.Fprintf(&b, "{name: p%d},", i)
	}
	b.WriteString("]}, {name: b}, {name: c, pods: [{name: q}]}]}, steps: [{name: s}]}")
	s := parseOne(t, b.String())
	st, err := NewState(s)
	if err != nil {
		t.Fatal(err)
	}
	w := st.World()
	ips := map[string]string{}
	for _, p := range w.Pods {
		ips[p.ID()] = p.IP
	}
	for id, want := range map[string]string{"a/p0": "10.0.0.10", "a/p244": "10.0.0.254", "a/p245": "10.0.1.10", "a/p249": "10.0.1.14", "c/q": "10.0.1.15"} {
		if ips[id] != want {
			t.Errorf("%s: got %s, want %s", id, ips[id], want)
		}
	}
}

func TestThousandsOfPodsInOneNamespace(t *testing.T) {
	pods := make([]PodSpec, 3000)
	for i := range pods {
		pods[i] = PodNamed(fmt.Sprintf("p%d", i), nil)
	}
	b := New("big").Namespace("x", nil, pods...).Step("s")
	s, err := b.Build()
	if err != nil {
		t.Fatal(err)
	}
	st, err := NewState(s)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, p := range st.World().Pods {
		if seen[p.IP] {
			t.Fatalf("address %s handed out twice", p.IP)
		}
		seen[p.IP] = true
	}
}

func TestPodCIDRRunsOut(t *testing.T) {
	b := New("full").PodCIDR("10.0.0.0/24").Namespace("x", nil)
	for i := range 246 {
		b.Step("s"+strings.Repeat("i", i), CreatePodIn("x", PodNamed("p"+strings.Repeat("p", i), nil)))
	}
	_, err := b.Build()
	want := `steps[245].actions[0].createPod: namespace "x" gets no address: every address of the pod CIDR 10.0.0.0/24 is taken`
	if err == nil || err.Error() != want {
		t.Errorf("error\n got: %v\nwant: %s", err, want)
	}
}

func TestResolveDoesNotMutate(t *testing.T) {
	s := parseOne(t, `{name: s, model: {namespaces: [{name: x, pods: [{name: a}]}]}, steps: [{name: s}]}`)
	st, err := NewState(s)
	if err != nil {
		t.Fatal(err)
	}
	before := st.World()
	create := CreatePodIn("x", PodNamed("b", nil))
	first, err := st.Resolve(create)
	if err != nil {
		t.Fatal(err)
	}
	second, _ := st.Resolve(create)
	if first.Pod.IP != "192.168.0.11" || second.Pod.IP != first.Pod.IP {
		t.Errorf("planned %s then %s, want 192.168.0.11 twice", first.Pod.IP, second.Pod.IP)
	}
	if _, err := st.Resolve(SetPodLabels("x/a", labels("k", "v"))); err != nil {
		t.Fatal(err)
	}
	equalJSON(t, "world after Resolve", st.World(), before)
}

func TestSetAddressesFeedsPlaceholders(t *testing.T) {
	s := parseOne(t, `{name: s, model: {namespaces: [{name: x, pods: [{name: a}, {name: b}]}]}, steps: [{name: s}]}`)
	st, err := NewState(s)
	if err != nil {
		t.Fatal(err)
	}
	st.SetAddresses(map[string]string{"x/a": "10.244.1.7", "other/pod": "10.244.9.9"})
	p := &networkingv1.NetworkPolicy{}
	p.Name, p.Namespace = "p", "x"
	p.Spec.Egress = []networkingv1.NetworkPolicyEgressRule{{To: []networkingv1.NetworkPolicyPeer{
		{IPBlock: &networkingv1.IPBlock{CIDR: `{{ podIP "x/a" }}/32`}},
		{IPBlock: &networkingv1.IPBlock{CIDR: `{{ cidr "x/b" 16 }}`}},
	}}}
	c, err := st.Resolve(Apply(p))
	if err != nil {
		t.Fatal(err)
	}
	got := []string{c.Policy.Spec.Egress[0].To[0].IPBlock.CIDR, c.Policy.Spec.Egress[0].To[1].IPBlock.CIDR}
	equalJSON(t, "expanded", got, []string{"10.244.1.7/32", "192.168.0.0/16"})
	equalJSON(t, "addresses", addresses(st.World()), map[string]string{"x/a": "10.244.1.7", "x/b": "192.168.0.11"})
	if p.Spec.Egress[0].To[0].IPBlock.CIDR != `{{ podIP "x/a" }}/32` {
		t.Errorf("Resolve changed the action's policy")
	}
}

func TestResolveActionShape(t *testing.T) {
	st, err := NewState(parseOne(t, `{name: s, model: {namespaces: [{name: x, pods: [{name: a}]}]}, steps: [{name: s}]}`))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		action Action
		want   string
	}{
		{"nothing set", Action{}, "no action set: set exactly one of apply, update, delete, setPodLabels, removePodLabels, setNamespaceLabels, removeNamespaceLabels, createPod, deletePod, createNamespace, deleteNamespace"},
		{"three set", Action{Delete: "x/p", DeletePod: "x/a", DeleteNamespace: "x"}, "sets delete and deletePod and deleteNamespace: an action sets exactly one field"},
		{"bad pod reference", DeletePod("a"), `deletePod: invalid pod "a": want namespace/pod`},
		{"bad policy reference", Delete("x/p/q"), `delete: invalid policy "x/p/q": want namespace/name, or ClusterNetworkPolicy/name`},
		{"empty labels", SetPodLabels("x/a", nil), "setPodLabels.labels: at least one label is required"},
		{"no keys", RemovePodLabels("x/a"), "removePodLabels.keys: at least one key is required"},
		{"existing pod", CreatePodIn("x", PodNamed("a", nil)), `createPod.name: pod "x/a" already exists`},
		{"existing namespace", CreateNamespace("x", nil), `createNamespace.name: namespace "x" already exists`},
		{"namespace name label", SetNamespaceLabels("x", labels(NamespaceNameLabel, "y")), `setNamespaceLabels.labels: label kubernetes.io/metadata.name must equal the namespace name "x"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := st.Resolve(tc.action)
			if err == nil || err.Error() != tc.want {
				t.Errorf("error\n got: %v\nwant: %s", err, tc.want)
			}
		})
	}
}

func TestCommitRefusesUnresolvedChanges(t *testing.T) {
	st, err := NewState(parseOne(t, `{name: s, model: {namespaces: [{name: x, pods: [{name: a}]}]}, steps: [{name: s}]}`))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		change Change
		want   string
	}{
		{"unknown kind", Change{Kind: "explode"}, `commit: unknown change kind "explode"`},
		{"missing policy", Change{Kind: DeletePolicy, PolicyKey: "x/p"}, `commit deletePolicy: policy "x/p" does not exist`},
		{"pod in a missing namespace", Change{Kind: AddPod, Pod: &Pod{Namespace: "q", Name: "a"}}, `commit addPod: pod "q/a" cannot be added`},
		{"no pod", Change{Kind: LabelPod}, "commit labelPod: no pod"},
		{"missing namespace", Change{Kind: RemoveNamespace, Namespace: &Namespace{Name: "q"}}, `commit removeNamespace: namespace "q" does not exist`},
		{"policy in a missing namespace", Change{Kind: ApplyPolicy, Policy: &networkingv1.NetworkPolicy{}}, `commit applyPolicy: namespace "" does not exist`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if err := st.Commit(tc.change); err == nil || err.Error() != tc.want {
				t.Errorf("error\n got: %v\nwant: %s", err, tc.want)
			}
		})
	}
}
