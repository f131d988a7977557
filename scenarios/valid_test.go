package scenarios

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// Small constructors keep the expected worlds readable.
func labels(kv ...string) map[string]string {
	out := map[string]string{}
	for i := 0; i+1 < len(kv); i += 2 {
		out[kv[i]] = kv[i+1]
	}
	return out
}

func nsOf(name string, kv ...string) Namespace {
	return Namespace{Name: name, Labels: labels(append([]string{NamespaceNameLabel, name}, kv...)...)}
}

func tcp(n int32) Port { return Port{Port: n, Protocol: TCP} }
func udp(n int32) Port { return Port{Port: n, Protocol: UDP} }
func named(name string, p Port) Port {
	p.Name = name
	return p
}

func policyMeta(ns, name string) metav1.ObjectMeta {
	return metav1.ObjectMeta{Namespace: ns, Name: name}
}

// runSteps resolves and commits every action, recording the changes and the
// world after each step.
func runSteps(t *testing.T, s *Scenario) ([][]Change, []*World) {
	t.Helper()
	st, err := NewState(s)
	if err != nil {
		t.Fatalf("NewState: %v", err)
	}
	var changes [][]Change
	var worlds []*World
	for _, step := range s.Steps {
		var cs []Change
		for _, a := range step.Actions {
			c, err := st.Resolve(a)
			if err != nil {
				t.Fatalf("step %q: Resolve: %v", step.Name, err)
			}
			if err := st.Commit(c); err != nil {
				t.Fatalf("step %q: Commit: %v", step.Name, err)
			}
			cs = append(cs, c)
		}
		changes = append(changes, cs)
		worlds = append(worlds, st.World())
	}
	return changes, worlds
}

// equalJSON compares through JSON so that a failure prints both sides readably.
func equalJSON(t *testing.T, what string, got, want any) {
	t.Helper()
	if reflect.DeepEqual(got, want) {
		return
	}
	g, _ := json.MarshalIndent(got, "", " ")
	w, _ := json.MarshalIndent(want, "", " ")
	t.Errorf("%s differs\n got: %s\nwant: %s", what, g, w)
}

func loadOne(t *testing.T, path string) []*Scenario {
	t.Helper()
	ss, err := LoadPaths([]string{path})
	if err != nil {
		t.Fatalf("LoadPaths(%s): %v", path, err)
	}
	return ss
}

func TestValidBasicWalkthrough(t *testing.T) {
	ss := loadOne(t, "testdata/valid/basic.yaml")
	if len(ss) != 1 || ss[0].Name != "basic-walkthrough" || ss[0].File != "testdata/valid/basic.yaml" {
		t.Fatalf("got %d scenarios, first %q from %q", len(ss), ss[0].Name, ss[0].File)
	}
	changes, worlds := runSteps(t, ss[0])

	xa := Pod{Namespace: "x", Name: "a", Labels: labels("pod", "a"), Ports: []Port{named("http", tcp(80)), udp(81)}, IP: "192.168.0.10"}
	xb := Pod{Namespace: "x", Name: "b", Labels: labels("pod", "b"), Ports: []Port{tcp(80), udp(81)}, IP: "192.168.0.11"}
	ya := Pod{Namespace: "y", Name: "a", Labels: labels("pod", "a"), Ports: []Port{tcp(80), udp(81)}, IP: "192.168.1.10"}
	yp := Pod{Namespace: "y", Name: "pinned", Labels: labels("pod", "pinned"), Ports: []Port{tcp(80), udp(81)}, IP: "192.168.1.50"}
	outside := []ExternalHost{{Name: "outside", IP: "203.0.113.7", Ports: []Port{tcp(443)}}}
	equalJSON(t, "initial world", worlds[0], &World{
		Namespaces:    []Namespace{nsOf("x", "team", "x"), nsOf("y", "team", "y")},
		Pods:          []Pod{xa, xb, ya, yp},
		ExternalHosts: outside,
	})

	denyAll := &networkingv1.NetworkPolicy{ObjectMeta: policyMeta("x", "deny-all"), Spec: networkingv1.NetworkPolicySpec{
		PolicyTypes: []networkingv1.PolicyType{networkingv1.PolicyTypeIngress}}}
	http := intstr.FromString("http")
	allowYA := &networkingv1.NetworkPolicy{ObjectMeta: policyMeta("x", "allow-ya"), Spec: networkingv1.NetworkPolicySpec{
		PodSelector: metav1.LabelSelector{MatchLabels: labels("pod", "a")},
		Ingress: []networkingv1.NetworkPolicyIngressRule{{
			Ports: []networkingv1.NetworkPolicyPort{{Port: &http}},
			From: []networkingv1.NetworkPolicyPeer{
				{IPBlock: &networkingv1.IPBlock{CIDR: "192.168.1.10/32"}},
				{IPBlock: &networkingv1.IPBlock{CIDR: "192.168.1.0/24", Except: []string{"192.168.1.50/32"}}},
			},
		}}}}
	equalJSON(t, "changes of step 1", changes[1], []Change{{Kind: ApplyPolicy, Policy: denyAll}})
	equalJSON(t, "changes of step 2", changes[2], []Change{{Kind: ApplyPolicy, Policy: allowYA}})
	equalJSON(t, "policies after step 2", worlds[2].Policies, []*networkingv1.NetworkPolicy{allowYA, denyAll})

	xbRelabelled := xb
	xbRelabelled.Labels = labels("pod", "a", "tier", "web")
	yc := Pod{Namespace: "y", Name: "c", Labels: labels("pod", "c"), Ports: []Port{tcp(80), udp(81)}, IP: "192.168.1.11"}
	yProd := nsOf("y", "team", "y", "env", "prod")
	equalJSON(t, "changes of step 3", changes[3], []Change{
		{Kind: LabelPod, Pod: &xbRelabelled},
		{Kind: AddPod, Pod: &yc},
		{Kind: LabelNamespace, Namespace: &yProd},
	})

	xbBack := xb
	xbBack.Labels = labels("pod", "a")
	updated := &networkingv1.NetworkPolicy{ObjectMeta: policyMeta("x", "allow-ya"), Spec: networkingv1.NetworkPolicySpec{
		Ingress: []networkingv1.NetworkPolicyIngressRule{{From: []networkingv1.NetworkPolicyPeer{{
			NamespaceSelector: &metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{
				{Key: "env", Operator: metav1.LabelSelectorOpIn, Values: []string{"prod"}}}},
		}}}},
		PolicyTypes: []networkingv1.PolicyType{networkingv1.PolicyTypeIngress},
	}}
	yPlain := nsOf("y", "team", "y")
	z := nsOf("z", "team", "z")
	za := Pod{Namespace: "z", Name: "a", Ports: []Port{tcp(80), udp(81), named("dns", udp(53))}, IP: "192.168.2.10"}
	equalJSON(t, "changes of step 4", changes[4], []Change{
		{Kind: LabelPod, Pod: &xbBack},
		{Kind: RemovePod, Pod: &ya},
		{Kind: ApplyPolicy, Policy: updated},
		{Kind: LabelNamespace, Namespace: &yPlain},
		{Kind: AddNamespace, Namespace: &z},
		{Kind: AddPod, Pod: &za},
		{Kind: DeletePolicy, PolicyKey: "x/deny-all"},
		{Kind: RemoveNamespace, Namespace: &yPlain},
	})
	equalJSON(t, "final world", worlds[4], &World{
		Namespaces:    []Namespace{nsOf("x", "team", "x"), z},
		Pods:          []Pod{xa, xbBack, za},
		ExternalHosts: outside,
		Policies:      []*networkingv1.NetworkPolicy{updated},
	})
}

func TestValidManifestDirectory(t *testing.T) {
	ss := loadOne(t, "testdata/valid/manifests")
	if len(ss) != 1 {
		t.Fatalf("got %d scenarios, want 1", len(ss))
	}
	p5432 := intstr.FromInt32(5432)
	want := &Scenario{
		Name: "manifests",
		File: "testdata/valid/manifests",
		// shop/db carries 192.168.1.99, so planned addresses come from the next private /16.
		Model: Model{PodCIDR: "172.16.0.0/16", Namespaces: []NamespaceSpec{
			{Name: "default", Labels: labels("env", "dev"), Pods: []PodSpec{{Name: "client"}}},
			{Name: "shop", Labels: labels("team", "shop"), Pods: []PodSpec{
				{Name: "web", Labels: labels("app", "web"), Ports: []Port{named("http", tcp(80)), udp(9000), named("metrics", tcp(9100))}},
				{Name: "db", Labels: labels("app", "db"), Ports: []Port{tcp(5432)}, IP: "192.168.1.99"},
			}},
		}},
		Steps: []Step{{Name: ManifestStepName, Actions: []Action{
			{Apply: &networkingv1.NetworkPolicy{
				TypeMeta:   metav1.TypeMeta{APIVersion: "networking.k8s.io/v1", Kind: "NetworkPolicy"},
				ObjectMeta: policyMeta("shop", "db-from-web"),
				Spec: networkingv1.NetworkPolicySpec{
					PodSelector: metav1.LabelSelector{MatchLabels: labels("app", "db")},
					Ingress: []networkingv1.NetworkPolicyIngressRule{{
						From:  []networkingv1.NetworkPolicyPeer{{PodSelector: &metav1.LabelSelector{MatchLabels: labels("app", "web")}}},
						Ports: []networkingv1.NetworkPolicyPort{{Port: &p5432}},
					}},
				}}},
			{Apply: &networkingv1.NetworkPolicy{
				TypeMeta:   metav1.TypeMeta{APIVersion: "networking.k8s.io/v1", Kind: "NetworkPolicy"},
				ObjectMeta: policyMeta("default", "default-deny-egress"),
				Spec:       networkingv1.NetworkPolicySpec{PolicyTypes: []networkingv1.PolicyType{networkingv1.PolicyTypeEgress}},
			}},
		}}},
	}
	equalJSON(t, "manifest scenario", ss[0], want)

	_, worlds := runSteps(t, ss[0])
	var ips []string
	for _, p := range worlds[0].Pods {
		ips = append(ips, p.ID()+"="+p.IP)
	}
	equalJSON(t, "pod addresses", ips, []string{"default/client=172.16.0.10", "shop/web=172.16.1.10", "shop/db=192.168.1.99"})
	equalJSON(t, "namespaces", worlds[0].Namespaces, []Namespace{nsOf("default", "env", "dev"), nsOf("shop", "team", "shop")})
}

func TestValidMultiDocumentAndJSON(t *testing.T) {
	ss := loadOne(t, "testdata/valid/multi.yaml")
	if len(ss) != 2 || ss[0].Name != "multi-one" || ss[1].Name != "multi-two" {
		t.Fatalf("got %d scenarios", len(ss))
	}
	_, worlds := runSteps(t, ss[0])
	equalJSON(t, "multi-one pods", worlds[0].Pods, []Pod{
		{Namespace: "a", Name: "p", Ports: []Port{tcp(80)}, IP: "10.200.0.10"},
		{Namespace: "a", Name: "q", Ports: []Port{tcp(80)}, IP: "10.200.0.11"},
	})

	js := loadOne(t, "testdata/valid/external.json")
	if js[0].Source != SourcePitfall || js[0].Seed != "egress-to-10-8.md" {
		t.Errorf("source %q seed %q", js[0].Source, js[0].Seed)
	}
	_, worlds = runSteps(t, js[0])
	dns := named("dns", udp(53))
	equalJSON(t, "json world pods", worlds[0].Pods, []Pod{{Namespace: "app", Name: "client", Labels: labels("role", "client"), Ports: []Port{dns}, IP: "192.168.0.10"}})
	equalJSON(t, "json external hosts", worlds[0].ExternalHosts, []ExternalHost{
		{Name: "resolver", IP: "10.96.0.10", Ports: []Port{dns}},
		{Name: "web", IP: "198.51.100.20", Ports: []Port{tcp(443)}},
	})
	udpProto := corev1.ProtocolUDP
	if got := worlds[0].Policies[0].Spec.Egress[0].Ports[0].Protocol; got == nil || *got != udpProto {
		t.Errorf("egress port protocol = %v, want UDP", got)
	}
}

func TestValidDirectoryOrder(t *testing.T) {
	ss := loadOne(t, "testdata/valid")
	var names []string
	for _, s := range ss {
		names = append(names, s.Name+"@"+s.File)
	}
	equalJSON(t, "scenario order", names, []string{
		"basic-walkthrough@testdata/valid/basic.yaml",
		"json-external@testdata/valid/external.json",
		"multi-one@testdata/valid/multi.yaml",
		"multi-two@testdata/valid/multi.yaml",
		"valid@testdata/valid",
	})
}

// A kind cluster's export: a v1 List, pods with kind's own addresses, a
// hostNetwork pod, a CIDR with leading zeros and an IPv6 ipBlock, all of
// which the API server accepts.
func TestValidKindExport(t *testing.T) {
	ss := loadOne(t, "testdata/valid/kind-export")
	s := ss[0]
	_, worlds := runSteps(t, s)
	var ips []string
	for _, p := range worlds[0].Pods {
		ips = append(ips, p.ID()+"="+p.IP)
	}
	equalJSON(t, "pod addresses", ips, []string{"default/laptop=192.168.0.10", "store/web-7d9f=10.244.1.11", "store/db-0=10.244.2.7"})
	if len(s.Skipped) != 1 || !strings.Contains(s.Skipped[0], "hostNetwork pod default/kube-proxy-x2x9q") {
		t.Errorf("skipped = %q, want the hostNetwork pod", s.Skipped)
	}
	var warnings []string
	for _, w := range s.Warnings {
		warnings = append(warnings, w.Error())
	}
	equalJSON(t, "warnings", warnings, []string{
		`testdata/valid/kind-export/export.yaml:53: spec.ingress[0].from[0].ipBlock.cidr: warning: non-standard CIDR "10.244.001.0/24" (leading zeros) is read as "10.244.1.0/24", as Kubernetes 1.34 does; a future Kubernetes release will reject it`,
		`testdata/valid/kind-export/export.yaml:54: spec.ingress[0].from[1].ipBlock.cidr: note: IPv6 CIDR "fd00:10:244::/56" matches nothing here: netpolcheck's worlds are IPv4 only`,
	})
	if got := worlds[0].Policies[0].Spec.Ingress[0].From[0].IPBlock.CIDR; got != "10.244.1.0/24" {
		t.Errorf("cidr = %q, want the canonical 10.244.1.0/24", got)
	}
}

func TestPodCIDROption(t *testing.T) {
	ss, err := LoadPathsWith([]string{"testdata/valid/kind-export"}, LoadOptions{PodCIDR: "10.244.0.0/16"})
	if err != nil {
		t.Fatal(err)
	}
	_, worlds := runSteps(t, ss[0])
	// The one pod without an address gets one of the given range.
	if got := worlds[0].Pods[0].IP; got != "10.244.0.10" {
		t.Errorf("default/laptop = %s, want 10.244.0.10", got)
	}
}

// Experimental-channel fields of ClusterNetworkPolicy load, with a note at
// the field's own line.
func TestClusterPolicyExperimentalNotes(t *testing.T) {
	ss, err := Parse("exp.yaml", []byte(`apiVersion: policy.networking.k8s.io/v1alpha2
kind: ClusterNetworkPolicy
metadata: {name: allow}
spec:
  tier: Admin
  priority: 1
  subject: {namespaces: {}}
  egress:
  - action: Accept
    to:
    - nodes: {}
    - domainNames: [kubernetes.io]
  ingress:
  - action: Accept
    from: [{namespaces: {}}]
    protocols: [{destinationNamedPort: http}]
`))
	if err != nil {
		t.Fatal(err)
	}
	notes := warningTexts(ss[0])
	const tail = " is a field of the experimental channel of ClusterNetworkPolicy: a cluster with the standard-channel CRD refuses it"
	equalJSON(t, "notes", notes, []string{
		"exp.yaml:16: spec.ingress[0].protocols[0].destinationNamedPort: note: destinationNamedPort" + tail,
		"exp.yaml:11: spec.egress[0].to[0].nodes: note: nodes" + tail,
		"exp.yaml:12: spec.egress[0].to[1].domainNames: note: domainNames" + tail,
	})
}

// A malformed selector, which the CRD lets through, loads with a note that
// it selects nothing.
func TestClusterPolicySelectorNotes(t *testing.T) {
	ss, err := Parse("sel.yaml", []byte(`apiVersion: policy.networking.k8s.io/v1alpha2
kind: ClusterNetworkPolicy
metadata: {name: sel}
spec:
  tier: Baseline
  priority: 1
  subject:
    namespaces:
      matchExpressions:
      - {key: team, operator: in, values: [a]}
  ingress:
  - action: Deny
    from: [{namespaces: {}}]
`))
	if err != nil {
		t.Fatal(err)
	}
	equalJSON(t, "notes", warningTexts(ss[0]), []string{
		`sel.yaml:10: spec.subject.namespaces.matchExpressions[0].operator: note: unknown operator "in": must be In, NotIn, Exists or DoesNotExist: the ClusterNetworkPolicy CRD accepts this selector, and it selects nothing`,
	})
}

// warningTexts are a scenario's warnings and notes as the CLI prints them.
func warningTexts(s *Scenario) []string {
	var out []string
	for _, w := range s.Warnings {
		out = append(out, w.Error())
	}
	return out
}
