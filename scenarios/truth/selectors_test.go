package truth

import (
	"testing"

	"github.com/netpolcheck/netpolcheck/scenarios"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// TestSelectors runs Compute's labelIndex and Explain's selectorMatches on
// the same table, item by item.
func TestSelectors(t *testing.T) {
	items := []map[string]string{
		{"app": "a", "tier": "front"}, // 0
		{"app": "b", "tier": "back"},  // 1
		{"app": "c"},                  // 2
		{},                            // 3
		nil,                           // 4
	}
	in, notIn := metav1.LabelSelectorOpIn, metav1.LabelSelectorOpNotIn
	exists, doesNotExist := metav1.LabelSelectorOpExists, metav1.LabelSelectorOpDoesNotExist
	req := func(key string, op metav1.LabelSelectorOperator, values ...string) metav1.LabelSelectorRequirement {
		return metav1.LabelSelectorRequirement{Key: key, Operator: op, Values: values}
	}
	tests := []struct {
		name string
		sel  metav1.LabelSelector
		want []bool // per item
	}{
		{"empty selects all", metav1.LabelSelector{}, []bool{true, true, true, true, true}},
		{"matchLabels", metav1.LabelSelector{MatchLabels: map[string]string{"app": "a"}}, []bool{true, false, false, false, false}},
		{"matchLabels keys are ANDed", metav1.LabelSelector{MatchLabels: map[string]string{"app": "b", "tier": "back"}}, []bool{false, true, false, false, false}},
		{"matchLabels value nobody has", metav1.LabelSelector{MatchLabels: map[string]string{"app": "z"}}, []bool{false, false, false, false, false}},
		{"In", metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{req("app", in, "a", "c")}}, []bool{true, false, true, false, false}},
		{"NotIn matches pods without the key", metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{req("tier", notIn, "front")}}, []bool{false, true, true, true, true}},
		{"Exists", metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{req("tier", exists)}}, []bool{true, true, false, false, false}},
		{"DoesNotExist", metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{req("tier", doesNotExist)}}, []bool{false, false, true, true, true}},
		{"Exists on a key nobody has", metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{req("zone", exists)}}, []bool{false, false, false, false, false}},
		{"DoesNotExist on a key nobody has", metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{req("zone", doesNotExist)}}, []bool{true, true, true, true, true}},
		{"expressions are ANDed", metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{req("app", in, "a", "b"), req("app", notIn, "b")}}, []bool{true, false, false, false, false}},
		{"matchLabels and expressions are ANDed", metav1.LabelSelector{MatchLabels: map[string]string{"app": "a"}, MatchExpressions: []metav1.LabelSelectorRequirement{req("tier", notIn, "front")}}, []bool{false, false, false, false, false}},
		{"In without values is invalid", metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{req("app", in)}}, []bool{false, false, false, false, false}},
		{"NotIn without values is invalid", metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{req("app", notIn)}}, []bool{false, false, false, false, false}},
		{"Exists with values is invalid", metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{req("app", exists, "a")}}, []bool{false, false, false, false, false}},
		{"DoesNotExist with values is invalid", metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{req("zone", doesNotExist, "a")}}, []bool{false, false, false, false, false}},
		{"an unknown operator is invalid", metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{req("app", "Near", "a")}}, []bool{false, false, false, false, false}},
		{"an invalid requirement spoils valid matchLabels", metav1.LabelSelector{MatchLabels: map[string]string{"app": "a"}, MatchExpressions: []metav1.LabelSelectorRequirement{req("app", in)}}, []bool{false, false, false, false, false}},
	}
	index := newLabelIndex(len(items))
	for i, l := range items {
		index.add(i, l)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			set := index.matching(&tt.sel)
			for i, l := range items {
				if got := selectorMatches(&tt.sel, l); got != tt.want[i] {
					t.Errorf("selectorMatches(item %d %v) = %v, want %v", i, l, got, tt.want[i])
				}
				if got := set.has(i); got != tt.want[i] {
					t.Errorf("labelIndex.matching has item %d %v = %v, want %v", i, l, got, tt.want[i])
				}
			}
		})
	}
}

// TestSelectorsInCells checks the operators through whole cells, on pods.
func TestSelectorsInCells(t *testing.T) {
	tests := []struct {
		name  string
		sel   *metav1.LabelSelector
		cells []expectCell
	}{
		{"NotIn admits pods without the key", expr("app", metav1.LabelSelectorOpNotIn, "a"),
			[]expectCell{deny("x/a", "x/b", 80, tcp), allow("x/b", "x/b", 80, tcp), allow("x/c", "x/b", 80, tcp)}},
		{"Exists", expr("app", metav1.LabelSelectorOpExists),
			[]expectCell{allow("x/a", "x/b", 80, tcp), deny("x/c", "x/b", 80, tcp)}},
		{"DoesNotExist", expr("app", metav1.LabelSelectorOpDoesNotExist),
			[]expectCell{deny("x/a", "x/b", 80, tcp), allow("x/c", "x/b", 80, tcp)}},
		{"In", expr("app", metav1.LabelSelectorOpIn, "b", "z"),
			[]expectCell{deny("x/a", "x/b", 80, tcp), allow("x/b", "x/b", 80, tcp), deny("x/c", "x/b", 80, tcp)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := makeWorld(
				withPolicies(makePolicy("x", "p", selecting(labels("app", "b")), withIngress(from(peers(podPeer(tt.sel)))))),
				func(w *scenarios.World) {
					w.Pods = append(w.Pods, scenarios.Pod{Namespace: "x", Name: "c", Ports: basePorts, IP: "192.168.0.4"})
				},
			)
			checkCells(t, w, tt.cells)
		})
	}
}
