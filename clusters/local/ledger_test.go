package local

import (
	"fmt"
	"reflect"
	"testing"

	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/netpolcheck/netpolcheck/scenarios"
)

func policy(ns, name string) *networkingv1.NetworkPolicy {
	return &networkingv1.NetworkPolicy{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}}
}

func TestNewLedgerRejects(t *testing.T) {
	tests := []struct {
		name  string
		tweak func(w *scenarios.World)
		want  string
	}{
		{"duplicate namespace", func(w *scenarios.World) { w.Namespaces = append(w.Namespaces, w.Namespaces[0]) },
			`addNamespace: namespace "x" exists`},
		{"pod in unknown namespace", func(w *scenarios.World) { w.Pods[0].Namespace = "q" },
			`addPod: pod "q/a" is in no known namespace`},
		{"duplicate pod IP", func(w *scenarios.World) { w.Pods[1].IP = w.Pods[0].IP },
			"pod x/b: IP 192.168.1.1 is taken by pod x/a"},
		{"pod on external host IP", func(w *scenarios.World) { w.Pods[0].IP = "203.0.113.10" },
			"pod x/a: IP 203.0.113.10 is taken by external host ext-1"},
		{"IPv6 pod", func(w *scenarios.World) { w.Pods[0].IP = "fd00::1" },
			"pod x/a: IP fd00::1 is not IPv4"},
		{"no pod IP", func(w *scenarios.World) { w.Pods[0].IP = "" },
			`pod x/a: IP "" is not an address`},
		{"duplicate external host", func(w *scenarios.World) { w.ExternalHosts[1].Name = "ext-1" },
			`external host "ext-1" is declared twice`},
		{"unnamed external host", func(w *scenarios.World) { w.ExternalHosts[0].Name = "" },
			`external host with IP "203.0.113.10" has no name`},
		{"pod named like external host", func(w *scenarios.World) { w.ExternalHosts[0].Name = "x/a" },
			`addPod: pod "x/a" has an external host's name`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := testWorld([]string{"x"}, 2, 2)
			tt.tweak(w)
			_, err := newLedger(w)
			if err == nil || err.Error() != tt.want {
				t.Fatalf("error = %v, want %q", err, tt.want)
			}
		})
	}
}

func TestLedgerChanges(t *testing.T) {
	pod := func(ns, name, ip string, labels map[string]string) *scenarios.Pod {
		return &scenarios.Pod{Namespace: ns, Name: name, IP: ip, Labels: labels}
	}
	nsOf := func(name string, labels map[string]string) *scenarios.Namespace {
		return &scenarios.Namespace{Name: name, Labels: labels}
	}
	tests := []struct {
		name    string
		changes []scenarios.Change
		wantErr string
		// want renders the recorded world after the changes.
		want string
	}{
		{name: "label pod",
			changes: []scenarios.Change{{Kind: scenarios.LabelPod, Pod: pod("x", "a", "", map[string]string{"role": "db"})}},
			want:    "ns x map[kubernetes.io/metadata.name:x]; pod x/a 192.168.1.1 map[role:db]; pod x/b 192.168.1.2 map[pod:b]; "},
		{name: "label namespace",
			changes: []scenarios.Change{{Kind: scenarios.LabelNamespace, Namespace: nsOf("x", map[string]string{"team": "t"})}},
			want:    "ns x map[team:t]; pod x/a 192.168.1.1 map[pod:a]; pod x/b 192.168.1.2 map[pod:b]; "},
		{name: "add and remove pod",
			changes: []scenarios.Change{
				{Kind: scenarios.AddPod, Pod: pod("x", "c", "10.9.0.5", nil)},
				{Kind: scenarios.RemovePod, Pod: pod("x", "a", "", nil)},
			},
			want: "ns x map[kubernetes.io/metadata.name:x]; pod x/b 192.168.1.2 map[pod:b]; pod x/c 10.9.0.5 map[]; "},
		{name: "policies sorted and replaced",
			changes: []scenarios.Change{
				{Kind: scenarios.AddNamespace, Namespace: nsOf("a", nil)},
				{Kind: scenarios.ApplyPolicy, Policy: policy("x", "p2")},
				{Kind: scenarios.ApplyPolicy, Policy: policy("x", "p1")},
				{Kind: scenarios.ApplyPolicy, Policy: policy("a", "p9")},
				{Kind: scenarios.ApplyPolicy, Policy: policy("x", "p2")},
				{Kind: scenarios.DeletePolicy, PolicyKey: "x/p1"},
			},
			want: "ns x map[kubernetes.io/metadata.name:x]; ns a map[]; pod x/a 192.168.1.1 map[pod:a]; pod x/b 192.168.1.2 map[pod:b]; policy a/p9; policy x/p2; "},
		{name: "remove namespace takes pods and policies",
			changes: []scenarios.Change{
				{Kind: scenarios.AddNamespace, Namespace: nsOf("y", nil)},
				{Kind: scenarios.AddPod, Pod: pod("y", "a", "192.168.2.1", nil)},
				{Kind: scenarios.ApplyPolicy, Policy: policy("x", "keep")},
				{Kind: scenarios.ApplyPolicy, Policy: policy("y", "gone")},
				{Kind: scenarios.RemoveNamespace, Namespace: nsOf("x", nil)},
			},
			want: "ns y map[]; pod y/a 192.168.2.1 map[]; policy y/gone; "},
		{name: "unknown pod", changes: []scenarios.Change{{Kind: scenarios.LabelPod, Pod: pod("x", "z", "", nil)}},
			wantErr: `labelPod: no pod "x/z"`},
		{name: "pod without pod", changes: []scenarios.Change{{Kind: scenarios.RemovePod}},
			wantErr: "removePod: no pod"},
		{name: "existing pod", changes: []scenarios.Change{{Kind: scenarios.AddPod, Pod: pod("x", "a", "192.168.9.9", nil)}},
			wantErr: `addPod: pod "x/a" exists`},
		{name: "taken IP", changes: []scenarios.Change{{Kind: scenarios.AddPod, Pod: pod("x", "c", "192.168.1.2", nil)}},
			wantErr: "pod x/c: IP 192.168.1.2 is taken by pod x/b"},
		{name: "unknown namespace", changes: []scenarios.Change{{Kind: scenarios.LabelNamespace, Namespace: nsOf("q", nil)}},
			wantErr: `labelNamespace: no namespace "q"`},
		{name: "existing namespace", changes: []scenarios.Change{{Kind: scenarios.AddNamespace, Namespace: nsOf("x", nil)}},
			wantErr: `addNamespace: namespace "x" exists`},
		{name: "no policy", changes: []scenarios.Change{{Kind: scenarios.ApplyPolicy}},
			wantErr: "applyPolicy: no policy"},
		{name: "policy in unknown namespace", changes: []scenarios.Change{{Kind: scenarios.ApplyPolicy, Policy: policy("q", "p")}},
			wantErr: "applyPolicy: policy q/p is in no known namespace"},
		{name: "unknown policy", changes: []scenarios.Change{{Kind: scenarios.DeletePolicy, PolicyKey: "x/p"}},
			wantErr: `deletePolicy: no policy "x/p"`},
		{name: "unknown kind", changes: []scenarios.Change{{Kind: "explode"}},
			wantErr: `unknown change kind "explode"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l, err := newLedger(testWorld([]string{"x"}, 2, 0))
			if err != nil {
				t.Fatal(err)
			}
			for _, c := range tt.changes {
				if err = l.check(c); err != nil {
					break
				}
				l.apply(c)
			}
			if tt.wantErr != "" {
				if err == nil || err.Error() != tt.wantErr {
					t.Fatalf("error = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := render(l.snapshot()); got != tt.want {
				t.Errorf("world:\n got %s\nwant %s", got, tt.want)
			}
		})
	}
}

// TestLedgerCopies proves the ledger shares no maps with its callers in either direction.
func TestLedgerCopies(t *testing.T) {
	w := testWorld([]string{"x"}, 1, 0)
	l, err := newLedger(w)
	if err != nil {
		t.Fatal(err)
	}
	w.Pods[0].Labels["pod"] = "changed"
	snap := l.snapshot()
	snap.Namespaces[0].Labels["x"] = "y"
	if got, want := render(l.snapshot()), "ns x map[kubernetes.io/metadata.name:x]; pod x/a 192.168.1.1 map[pod:a]; "; got != want {
		t.Errorf("world = %s, want %s", got, want)
	}
	if !reflect.DeepEqual(l.snapshot().Pods[0].Ports, testPorts) {
		t.Errorf("ports = %v, want %v", l.snapshot().Pods[0].Ports, testPorts)
	}
}

func render(w scenarios.World) string {
	var s string
	for _, n := range w.Namespaces {
		s += fmt.Sprintf("ns %s %v; ", n.Name, n.Labels)
	}
	for _, p := range w.Pods {
		s += fmt.Sprintf("pod %s %s %v; ", p.ID(), p.IP, p.Labels)
	}
	for _, p := range w.Policies {
		s += fmt.Sprintf("policy %s/%s; ", p.Namespace, p.Name)
	}
	return s
}
