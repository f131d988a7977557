package reference

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/netpolcheck/netpolcheck/enforcer/controller/memclient"
	"github.com/netpolcheck/netpolcheck/scenarios"
)

// state renders what the clientset holds, one line per object, sorted.
func state(t *testing.T, c *memclient.Clientset) []string {
	t.Helper()
	ctx := context.Background()
	var out []string
	nss, err := c.CoreV1().Namespaces().List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, ns := range nss.Items {
		out = append(out, fmt.Sprintf("ns %s %s", ns.Name, labelString(ns.Labels)))
	}
	pods, err := c.CoreV1().Pods("").List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range pods.Items {
		var ports []string
		for _, port := range p.Spec.Containers[0].Ports {
			ports = append(ports, fmt.Sprintf("%s=%d/%s", port.Name, port.ContainerPort, port.Protocol))
		}
		out = append(out, fmt.Sprintf("pod %s/%s %s node=%s ip=%s phase=%s ports=%s",
			p.Namespace, p.Name, labelString(p.Labels), p.Spec.NodeName, p.Status.PodIP, p.Status.Phase, strings.Join(ports, ",")))
	}
	policies, err := c.NetworkingV1().NetworkPolicies("").List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range policies.Items {
		out = append(out, fmt.Sprintf("policy %s/%s types=%v rv=%q", p.Namespace, p.Name, p.Spec.PolicyTypes, p.ResourceVersion))
	}
	slices.Sort(out)
	return out
}

func labelString(l map[string]string) string {
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(l)) {
		parts = append(parts, k+"="+l[k])
	}
	return "{" + strings.Join(parts, ",") + "}"
}

func testPolicy(namespace, name string, types ...networkingv1.PolicyType) *networkingv1.NetworkPolicy {
	return &networkingv1.NetworkPolicy{
		ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: name, ResourceVersion: "17"},
		Spec:       networkingv1.NetworkPolicySpec{PolicyTypes: types},
	}
}

func TestFeederMirrorsChanges(t *testing.T) {
	ns := func(name string, labels ...string) *scenarios.Namespace {
		l := map[string]string{"kubernetes.io/metadata.name": name}
		for i := 0; i+1 < len(labels); i += 2 {
			l[labels[i]] = labels[i+1]
		}
		return &scenarios.Namespace{Name: name, Labels: l}
	}
	pod := func(namespace, name, ip string, labels map[string]string) *scenarios.Pod {
		return &scenarios.Pod{Namespace: namespace, Name: name, IP: ip, Labels: labels, Ports: []scenarios.Port{
			{Name: "http", Port: 80, Protocol: scenarios.TCP}, {Port: 53, Protocol: scenarios.UDP},
		}}
	}
	steps := []struct {
		change scenarios.Change
		want   []string
	}{
		{
			scenarios.Change{Kind: scenarios.AddNamespace, Namespace: ns("x", "team", "red")},
			[]string{"ns x {kubernetes.io/metadata.name=x,team=red}"},
		},
		{
			scenarios.Change{Kind: scenarios.AddPod, Pod: pod("x", "a", "192.168.0.1", map[string]string{"app": "a"})},
			[]string{
				"ns x {kubernetes.io/metadata.name=x,team=red}",
				"pod x/a {app=a} node=node-0 ip=192.168.0.1 phase=Running ports=http=80/TCP,=53/UDP",
			},
		},
		{
			scenarios.Change{Kind: scenarios.LabelPod, Pod: pod("x", "a", "192.168.0.1", map[string]string{"app": "b", "tier": "1"})},
			[]string{
				"ns x {kubernetes.io/metadata.name=x,team=red}",
				"pod x/a {app=b,tier=1} node=node-0 ip=192.168.0.1 phase=Running ports=http=80/TCP,=53/UDP",
			},
		},
		{
			scenarios.Change{Kind: scenarios.LabelNamespace, Namespace: ns("x", "team", "blue")},
			[]string{
				"ns x {kubernetes.io/metadata.name=x,team=blue}",
				"pod x/a {app=b,tier=1} node=node-0 ip=192.168.0.1 phase=Running ports=http=80/TCP,=53/UDP",
			},
		},
		{
			scenarios.Change{Kind: scenarios.ApplyPolicy, Policy: testPolicy("x", "p", networkingv1.PolicyTypeIngress)},
			[]string{
				"ns x {kubernetes.io/metadata.name=x,team=blue}",
				"pod x/a {app=b,tier=1} node=node-0 ip=192.168.0.1 phase=Running ports=http=80/TCP,=53/UDP",
				`policy x/p types=[Ingress] rv=""`,
			},
		},
		{
			// Applying an existing name replaces the policy.
			scenarios.Change{Kind: scenarios.ApplyPolicy, Policy: testPolicy("x", "p", networkingv1.PolicyTypeEgress)},
			[]string{
				"ns x {kubernetes.io/metadata.name=x,team=blue}",
				"pod x/a {app=b,tier=1} node=node-0 ip=192.168.0.1 phase=Running ports=http=80/TCP,=53/UDP",
				`policy x/p types=[Egress] rv=""`,
			},
		},
		{
			scenarios.Change{Kind: scenarios.AddNamespace, Namespace: ns("y")},
			[]string{
				"ns x {kubernetes.io/metadata.name=x,team=blue}",
				"ns y {kubernetes.io/metadata.name=y}",
				"pod x/a {app=b,tier=1} node=node-0 ip=192.168.0.1 phase=Running ports=http=80/TCP,=53/UDP",
				`policy x/p types=[Egress] rv=""`,
			},
		},
		{
			scenarios.Change{Kind: scenarios.AddPod, Pod: pod("y", "b", "192.168.1.1", nil)},
			[]string{
				"ns x {kubernetes.io/metadata.name=x,team=blue}",
				"ns y {kubernetes.io/metadata.name=y}",
				"pod x/a {app=b,tier=1} node=node-0 ip=192.168.0.1 phase=Running ports=http=80/TCP,=53/UDP",
				"pod y/b {} node=node-0 ip=192.168.1.1 phase=Running ports=http=80/TCP,=53/UDP",
				`policy x/p types=[Egress] rv=""`,
			},
		},
		{
			scenarios.Change{Kind: scenarios.RemovePod, Pod: &scenarios.Pod{Namespace: "y", Name: "b"}},
			[]string{
				"ns x {kubernetes.io/metadata.name=x,team=blue}",
				"ns y {kubernetes.io/metadata.name=y}",
				"pod x/a {app=b,tier=1} node=node-0 ip=192.168.0.1 phase=Running ports=http=80/TCP,=53/UDP",
				`policy x/p types=[Egress] rv=""`,
			},
		},
		{
			// Removing a namespace takes its pods and policies with it.
			scenarios.Change{Kind: scenarios.RemoveNamespace, Namespace: &scenarios.Namespace{Name: "x"}},
			[]string{"ns y {kubernetes.io/metadata.name=y}"},
		},
		{
			scenarios.Change{Kind: scenarios.ApplyPolicy, Policy: testPolicy("y", "q")},
			[]string{"ns y {kubernetes.io/metadata.name=y}", `policy y/q types=[] rv=""`},
		},
		{
			scenarios.Change{Kind: scenarios.DeletePolicy, PolicyKey: "y/q"},
			[]string{"ns y {kubernetes.io/metadata.name=y}"},
		},
	}
	client, err := memclient.New()
	if err != nil {
		t.Fatal(err)
	}
	writes := 0
	f := &feeder{client: client, node: "node-0", wrote: func(context.Context) error { writes++; return nil }}
	for i, step := range steps {
		if err := f.mirror(context.Background(), step.change); err != nil {
			t.Fatalf("step %d (%s): %v", i, step.change.Kind, err)
		}
		if got := state(t, client); !slices.Equal(got, step.want) {
			t.Errorf("after step %d (%s):\n got %q\nwant %q", i, step.change.Kind, got, step.want)
		}
	}
	// One write per change, and RemoveNamespace's pod, policy and namespace.
	if writes != len(steps)+2 {
		t.Errorf("counted %d writes, want %d", writes, len(steps)+2)
	}
}

func TestFeederRejectsBadChanges(t *testing.T) {
	tests := []struct {
		change scenarios.Change
		want   string
	}{
		{scenarios.Change{Kind: scenarios.AddNamespace}, "addNamespace without a namespace"},
		{scenarios.Change{Kind: scenarios.AddNamespace, Namespace: &scenarios.Namespace{Name: "netpolcheck-sync"}},
			"namespace netpolcheck-sync is reserved for the enforcer's sync markers"},
		{scenarios.Change{Kind: scenarios.LabelPod}, "labelPod without a pod"},
		{scenarios.Change{Kind: scenarios.ApplyPolicy}, "applyPolicy without a policy"},
		{scenarios.Change{Kind: scenarios.DeletePolicy, PolicyKey: "p"}, `policy key "p" is not ns/name`},
		{scenarios.Change{Kind: scenarios.DeletePolicy, PolicyKey: "x/"}, `policy key "x/" is not ns/name`},
		{scenarios.Change{Kind: "rename"}, `unknown change kind "rename"`},
		{scenarios.Change{Kind: scenarios.LabelPod, Pod: &scenarios.Pod{Namespace: "x", Name: "missing"}}, `pods "missing" not found`},
	}
	client, err := memclient.New()
	if err != nil {
		t.Fatal(err)
	}
	f := &feeder{client: client, node: "node-0", wrote: func(context.Context) error { return nil }}
	for _, tt := range tests {
		err := f.mirror(context.Background(), tt.change)
		if err == nil || err.Error() != tt.want {
			t.Errorf("mirror(%+v) = %v, want %q", tt.change, err, tt.want)
		}
	}
}

func TestPodObject(t *testing.T) {
	p := podObject(scenarios.Pod{
		Namespace: "x", Name: "a", IP: "192.168.0.1", Labels: map[string]string{"app": "a"},
		Ports: []scenarios.Port{{Name: "sctp", Port: 82, Protocol: scenarios.SCTP}},
	}, "npc-1-0-node")
	want := corev1.ContainerPort{Name: "sctp", ContainerPort: 82, Protocol: corev1.ProtocolSCTP}
	if len(p.Spec.Containers) != 1 || len(p.Spec.Containers[0].Ports) != 1 || p.Spec.Containers[0].Ports[0] != want {
		t.Errorf("containers = %+v, want one serving %+v", p.Spec.Containers, want)
	}
	if p.Spec.NodeName != "npc-1-0-node" || p.Status.PodIP != "192.168.0.1" || len(p.Status.PodIPs) != 1 || p.Status.PodIPs[0].IP != "192.168.0.1" {
		t.Errorf("pod placement = node %q, IP %q, IPs %v", p.Spec.NodeName, p.Status.PodIP, p.Status.PodIPs)
	}
}
