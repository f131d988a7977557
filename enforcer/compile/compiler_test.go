package compile

import (
	"fmt"
	"reflect"
	"testing"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
)

// A Compiler fed a long run of random changes must give, at every step,
// exactly the tables (or the error) that Compile gives from scratch.
func TestCompilerMatchesCompile(t *testing.T) {
	for seed := range uint64(60) {
		t.Run(fmt.Sprintf("seed=%d", seed), func(t *testing.T) {
			w := newRandomWorld(seed)
			var c Compiler
			for step := range 80 {
				what := "start"
				if step > 0 {
					what = w.change()
				}
				in := w.input()
				got, gotErr := c.Compile(in)
				want, wantErr := Compile(in)
				if fmt.Sprint(gotErr) != fmt.Sprint(wantErr) {
					t.Fatalf("step %d (%s): error %v, want %v", step, what, gotErr, wantErr)
				}
				if !reflect.DeepEqual(got, want) {
					t.Fatalf("step %d (%s): tables\n%+v\nwant\n%+v", step, what, got, want)
				}
			}
		})
	}
}

// The random runs must reach what they are meant to: tables with rule
// sets, named ports, skipped endpoints, and rejected policies.
func TestRandomWorldCoverage(t *testing.T) {
	var tables, errs, peers, skipped int
	for seed := range uint64(60) {
		w := newRandomWorld(seed)
		for range 80 {
			w.change()
			got, err := Compile(w.input())
			if err != nil {
				errs++
				continue
			}
			tables++
			peers += len(got.Peers)
			skipped += len(got.Skipped)
		}
	}
	// The runs are seeded: these are exact, and they change only with the
	// random world or the compiler's output.
	if tables != 4425 || peers != 36015 || skipped != 8684 || errs != 375 {
		t.Fatalf("%d tables (%d peers, %d skipped endpoints), %d errors; want 4425 (36015, 8684), 375", tables, peers, skipped, errs)
	}
}

// What a Compiler keeps must follow edits made in place to objects it has
// already seen, not only new objects.
func TestCompilerSeesEditsInPlace(t *testing.T) {
	pods := testPods()
	policies := []*networkingv1.NetworkPolicy{
		makePolicy("x", "to-b", map[string]string{"app": "b"}, withIngress(peers(podPeer(map[string]string{"app": "a"})), port(corev1.ProtocolTCP, 80))),
		makePolicy("x", "from-b", map[string]string{"app": "a"}, withTypes(networkingv1.PolicyTypeEgress),
			withEgress(peers(nsPeer(map[string]string{"team": "blue"})), policyNamedPort(corev1.ProtocolTCP, "http"))),
	}
	in := Input{Namespaces: testNamespaces(), Pods: pods, Policies: policies, Local: map[string]int{"x/a": 11, "x/b": 12, "y/a": 13}}
	tests := []struct {
		name string
		edit func()
	}{
		{"unchanged", func() {}},
		{"policy port", func() { policies[0].Spec.Ingress[0].Ports[0].Port.IntVal = 81 }},
		{"policy selector labels", func() { policies[0].Spec.PodSelector.MatchLabels["app"] = "a" }},
		{"peer selector labels", func() { policies[0].Spec.Ingress[0].From[0].PodSelector.MatchLabels["app"] = "b" }},
		{"policy namespace", func() { policies[1].Namespace = "y" }},
		{"pod label", func() { pods[0].Labels["app"] = "b" }},
		{"peer pod address", func() { pods[2].Status.PodIP = "192.168.1.9" }},
		{"pod named port", func() { pods[2].Spec.Containers[0].Ports[0].ContainerPort = 8081 }},
		{"pod finished", func() { pods[3].Status.Phase = corev1.PodSucceeded }},
		{"namespace label", func() { in.Namespaces[1].Labels["team"] = "red" }},
	}
	var c Compiler
	for _, tt := range tests {
		tt.edit()
		got, err := c.Compile(in)
		if err != nil {
			t.Fatalf("%s: Compile: %v", tt.name, err)
		}
		want, err := Compile(in)
		if err != nil {
			t.Fatalf("%s: Compile from scratch: %v", tt.name, err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("after editing %s: tables\n%+v\nwant\n%+v", tt.name, got, want)
		}
	}
}

// A Compiler must actually reuse: nothing compiled again for the same
// input, one policy for a change to one, all of them for a pod change, and
// the rule sets of untouched endpoints taken as they were laid out.
func TestCompilerReuses(t *testing.T) {
	policies := []*networkingv1.NetworkPolicy{
		makePolicy("x", "to-b", map[string]string{"app": "b"}, withIngress(peers(podPeer(map[string]string{"app": "a"})), port(corev1.ProtocolTCP, 80))),
		makePolicy("y", "to-a", map[string]string{"app": "a"}, withIngress(peers(nsPeer(nil)), port(corev1.ProtocolUDP, 53))),
		makePolicy("y", "to-b", map[string]string{"app": "b"}),
	}
	in := Input{Namespaces: testNamespaces(), Pods: testPods(), Policies: policies, Local: map[string]int{"x/a": 11, "x/b": 12, "y/a": 13, "y/b": 14}}
	var c Compiler
	layouts := func() map[string]*layout {
		out := map[string]*layout{}
		// A compile ends by moving what it used to before.
		for key, pair := range c.rules.layouts.before {
			for i, l := range pair {
				if l != nil {
					out[fmt.Sprint(i)+key] = l
				}
			}
		}
		return out
	}
	compile := func(what string, wantSerial uint64) {
		t.Helper()
		got, err := c.Compile(in)
		if err != nil {
			t.Fatalf("%s: Compile: %v", what, err)
		}
		want, err := Compile(in)
		if err != nil {
			t.Fatalf("%s: Compile from scratch: %v", what, err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("%s: tables\n%+v\nwant\n%+v", what, got, want)
		}
		if c.serial != wantSerial {
			t.Fatalf("%s: %d policies compiled in all, want %d", what, c.serial, wantSerial)
		}
	}

	compile("first", 3)
	first := layouts()
	compile("same input", 3)
	if again := layouts(); !reflect.DeepEqual(again, first) {
		t.Fatalf("same input: layouts %v, want those of the first compile %v", again, first)
	}
	policies[1].Spec.Ingress[0].Ports[0].Port.IntVal = 5353
	compile("one policy changed", 4)
	changed := layouts()
	var kept, made int
	for key, l := range changed {
		if first[key] == l {
			kept++
		} else {
			made++
		}
	}
	// Each pod is isolated for ingress only: x/b and y/b keep their rule
	// sets, y/a gets a new one.
	if kept != 2 || made != 1 {
		t.Fatalf("one policy changed: %d layouts kept, %d made; want 2 and 1", kept, made)
	}
	in.Pods[0].Labels["tier"] = "web"
	compile("a pod relabelled", 7)
}
