package scenarios

import (
	"testing"

	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func denyAllIngress(ns string) *networkingv1.NetworkPolicy {
	return &networkingv1.NetworkPolicy{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "deny-all"},
		Spec:       networkingv1.NetworkPolicySpec{PolicyTypes: []networkingv1.PolicyType{networkingv1.PolicyTypeIngress}},
	}
}

// The builder and the YAML format make the same scenario.
func TestBuilderMatchesYAML(t *testing.T) {
	built, err := New("deny-then-relabel").
		Description("deny ingress to x, then move a pod").
		Source(SourcePitfall).
		Seed("relabel.md").
		Tags("ingress", "labels").
		PodCIDR("10.4.0.0/16").
		DefaultPorts(Port{Port: 80, Protocol: TCP}).
		Namespace("x", map[string]string{"team": "x"}, PodNamed("a", map[string]string{"pod": "a"}), PodNamed("b", nil)).
		Namespace("y", nil, PodNamed("a", nil, Port{Name: "dns", Port: 53, Protocol: UDP})).
		External("dns", "10.96.0.10").
		Step("deny", Apply(denyAllIngress("x"))).
		Expect("allow", DenyRule("*", "x/*", "")).
		ExpectGrid("80/TCP", "x/a x/b\ny/a X X").
		Step("relabel", SetPodLabels("x/b", map[string]string{"pod": "b"}), RemovePodLabels("x/a", "pod"),
			SetNamespaceLabels("y", map[string]string{"env": "prod"}), RemoveNamespaceLabels("x", "team"),
			CreateNamespace("z", nil), CreatePodIn("z", PodNamed("c", nil)), DeletePod("y/a"),
			Update(denyAllIngress("x")), Delete("x/deny-all"), DeleteNamespace("z")).
		Build()
	if err != nil {
		t.Fatal(err)
	}
	parsed := parseOne(t, `
name: deny-then-relabel
description: deny ingress to x, then move a pod
source: pitfall
seed: relabel.md
tags: [ingress, labels]
model:
  podCIDR: 10.4.0.0/16
  defaultPorts: [{port: 80, protocol: TCP}]
  namespaces:
    - {name: x, labels: {team: x}, pods: [{name: a, labels: {pod: a}}, {name: b}]}
    - {name: y, pods: [{name: a, ports: [{name: dns, port: 53, protocol: UDP}]}]}
  externalHosts: [{name: dns, ip: 10.96.0.10}]
steps:
  - name: deny
    actions:
      - apply: {metadata: {name: deny-all, namespace: x}, spec: {policyTypes: [Ingress]}}
    expect:
      default: allow
      rules: [{deny: "*", to: x/*}]
      grids: [{port: 80/TCP, rows: "x/a x/b\ny/a X X"}]
  - name: relabel
    actions:
      - setPodLabels: {pod: x/b, labels: {pod: b}}
      - removePodLabels: {pod: x/a, keys: [pod]}
      - setNamespaceLabels: {namespace: y, labels: {env: prod}}
      - removeNamespaceLabels: {namespace: x, keys: [team]}
      - createNamespace: {name: z}
      - createPod: {namespace: z, name: c}
      - deletePod: y/a
      - update: {metadata: {name: deny-all, namespace: x}, spec: {policyTypes: [Ingress]}}
      - delete: x/deny-all
      - deleteNamespace: z
`)
	parsed.File = ""
	equalJSON(t, "built scenario", built, parsed)
}

func TestBuilderMisuseAndIsolation(t *testing.T) {
	_, err := New("early").Expect("allow").ExpectGrid("80", "x").Namespace("x", nil).Build()
	want := "steps: Expect called before any Step\nsteps: ExpectGrid called before any Step\nsteps: required: a scenario has at least one step"
	if err == nil || err.Error() != want {
		t.Errorf("error\n got: %v\nwant: %s", err, want)
	}
	_, err = New("grid-first").Namespace("x", nil).Step("s").ExpectGrid("80", "x").Build()
	if want := "steps: ExpectGrid called before Expect on step s"; err == nil || err.Error() != want {
		t.Errorf("error\n got: %v\nwant: %s", err, want)
	}

	podLabels := map[string]string{"pod": "a"}
	policy := denyAllIngress("x")
	b := New("iso").Namespace("x", nil, PodNamed("a", podLabels)).Step("s", Apply(policy))
	first, err := b.Build()
	if err != nil {
		t.Fatal(err)
	}
	podLabels["pod"] = "changed"
	policy.Name = "changed"
	b.Step("t", Delete("x/deny-all"))
	second, err := b.Build()
	if err != nil {
		t.Fatal(err)
	}
	first.Model.Namespaces[0].Pods[0].Labels["pod"] = "edited"
	got := []any{len(first.Steps), len(second.Steps), second.Model.Namespaces[0].Pods[0].Labels["pod"], second.Steps[0].Actions[0].Apply.Name}
	equalJSON(t, "isolation", got, []any{1, 2, "a", "deny-all"})
}
