package scenarios

import (
	"strings"
	"testing"
)

func TestSelect(t *testing.T) {
	in := []*Scenario{
		{Name: "deny-all-ingress", Tags: []string{"ingress", "basic"}},
		{Name: "deny-all-egress", Tags: []string{"egress", "basic"}},
		{Name: "ipblock-except", Tags: []string{"egress", "ipblock"}},
		{Name: "sctp-ports", Tags: []string{"sctp"}},
	}
	tests := []selection{
		{"everything", Selector{}, []string{"deny-all-ingress", "deny-all-egress", "ipblock-except", "sctp-ports"}},
		{"focus", Selector{Focus: []string{"^deny", "sctp"}}, []string{"deny-all-ingress", "deny-all-egress", "sctp-ports"}},
		{"skip", Selector{Skip: []string{"egress$"}}, []string{"deny-all-ingress", "ipblock-except", "sctp-ports"}},
		{"focus and skip", Selector{Focus: []string{"deny"}, Skip: []string{"ingress"}}, []string{"deny-all-egress"}},
		{"any tag", Selector{Tags: []string{"ipblock", "sctp"}}, []string{"ipblock-except", "sctp-ports"}},
		{"exclude tags", Selector{ExcludeTags: []string{"basic"}}, []string{"ipblock-except", "sctp-ports"}},
		{"tags and exclusions", Selector{Tags: []string{"egress"}, ExcludeTags: []string{"ipblock"}}, []string{"deny-all-egress"}},
		{"nothing", Selector{Tags: []string{"udp"}}, []string{}},
		{"all tags of a group", Selector{Tags: []string{"egress+basic"}}, []string{"deny-all-egress"}},
		{"a group or a tag", Selector{Tags: []string{"egress+basic", "sctp"}}, []string{"deny-all-egress", "sctp-ports"}},
		{"a group no scenario completes", Selector{Tags: []string{"ingress+ipblock"}}, []string{}},
		{"exclude a group", Selector{ExcludeTags: []string{"egress+basic"}}, []string{"deny-all-ingress", "ipblock-except", "sctp-ports"}},
	}
	checkSelections(t, in, tests)
}

func TestSelectBadExpression(t *testing.T) {
	for _, tc := range []struct {
		sel  Selector
		want string
	}{
		{Selector{Focus: []string{"a("}}, "--focus: invalid regular expression \"a(\": error parsing regexp: missing closing ): `a(`"},
		{Selector{Skip: []string{"*"}}, "--skip: invalid regular expression \"*\": error parsing regexp: missing argument to repetition operator: `*`"},
	} {
		_, err := tc.sel.Select(nil)
		if err == nil || err.Error() != tc.want {
			t.Errorf("got %v, want %s", err, tc.want)
		}
	}
}

func TestSelectEmptyTag(t *testing.T) {
	for _, sel := range []Selector{
		{Tags: []string{"egress+"}},
		{Tags: []string{""}},
		{ExcludeTags: []string{"+basic"}},
		{ExcludeTags: []string{"a++b"}},
	} {
		_, err := sel.Select([]*Scenario{{Name: "s", Tags: []string{"egress", "basic"}}})
		ie, ok := err.(*InputError)
		if !ok || (ie.Field != "--tags" && ie.Field != "--exclude-tags") || !strings.Contains(ie.Msg, "empty tag") {
			t.Errorf("%+v: error %v, want an InputError naming the flag and the empty tag", sel, err)
		}
	}
}

func TestSelectByOrigin(t *testing.T) {
	in := []*Scenario{
		{Name: "deny-all-ingress", Source: "000-basics.md", Tags: []string{"ingress"}},
		{Name: "upstream-deny", Source: SourceUpstreamE2E, Tags: []string{"ingress"}},
		{Name: "pitfall-dns", Source: SourcePitfall, Seed: "dns.md", Tags: []string{"egress"}},
		{Name: "no-origin", Tags: []string{"egress"}},
	}
	tests := []selection{
		{"a source", Selector{Tags: []string{"source=upstream-e2e"}}, []string{"upstream-deny"}},
		{"a seed file as source", Selector{Tags: []string{"source=000-basics.md"}}, []string{"deny-all-ingress"}},
		{"a pitfall's seed and a tag", Selector{Tags: []string{"seed=dns.md+egress"}}, []string{"pitfall-dns"}},
		{"exclude sources", Selector{ExcludeTags: []string{"source=pitfall", "source=upstream-e2e"}}, []string{"deny-all-ingress", "no-origin"}},
		{"no such source", Selector{Tags: []string{"source=nowhere"}}, []string{}},
	}
	checkSelections(t, in, tests)
}

// selection is one Select call and the names it must keep, in order.
type selection struct {
	name string
	sel  Selector
	want []string
}

func checkSelections(t *testing.T, in []*Scenario, tests []selection) {
	t.Helper()
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out, err := tc.sel.Select(in)
			if err != nil {
				t.Fatal(err)
			}
			got := []string{}
			for _, s := range out {
				got = append(got, s.Name)
			}
			equalJSON(t, "selected", got, tc.want)
		})
	}
}
