package kind

import (
	"context"
	"io"
	"os"
	"reflect"
	"strings"
	"testing"
)

func TestExemptionsIn(t *testing.T) {
	rules := strings.Join([]string{
		"-P POSTROUTING ACCEPT",
		`-A POSTROUTING -s 172.17.0.10/32 -d 192.168.0.0/16 -m comment --comment "netpolcheck-kind npc" -j RETURN`,
		`-A POSTROUTING -s 172.17.1.10/32 -d 192.168.0.0/16 -m comment --comment "netpolcheck-kind npc-e2e" -j RETURN`,
		`-A POSTROUTING -s 198.51.100.10/32 -d 10.244.0.0/16 -m comment --comment "netpolcheck-kind npc" -j RETURN`,
		"-A POSTROUTING -s 172.17.0.0/16 ! -o docker0 -j MASQUERADE",
		`-A OTHER -s 172.17.0.11/32 -m comment --comment "netpolcheck-kind npc" -j RETURN`,
	}, "\n")
	tests := []struct {
		cluster string
		want    [][]string
	}{
		{"npc", [][]string{
			exemptionRule("npc", "172.17.0.10", "192.168.0.0/16"),
			exemptionRule("npc", "198.51.100.10", "10.244.0.0/16"),
		}},
		{"npc-e2e", [][]string{exemptionRule("npc-e2e", "172.17.1.10", "192.168.0.0/16")}},
		{"np", nil},
	}
	for _, tt := range tests {
		if got := exemptionsIn(rules, tt.cluster); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("exemptionsIn(%s) =\n%q\nwant\n%q", tt.cluster, got, tt.want)
		}
	}
}

func TestIntegrationMasqueradeExemption(t *testing.T) {
	if testing.Short() {
		t.Skip("changes the host's nat table: skipped under -short")
	}
	if os.Geteuid() != 0 || !iptablesAvailable() {
		t.Skip("needs root and iptables on the host")
	}
	ctx := context.Background()
	// A cluster name no real cluster has, and documentation addresses: the
	// rule matches no packet this machine sends.
	c := &Cluster{name: "npc-it-masq", opts: Options{PodSubnet: "192.0.2.0/24", Log: io.Discard}}
	t.Cleanup(func() { removeMasqueradeExemptions(ctx, io.Discard, c.name) })
	list := func() [][]string {
		out, err := iptables(ctx, nil, "-S", "POSTROUTING")
		if err != nil {
			t.Fatal(err)
		}
		return exemptionsIn(out, c.name)
	}
	for range 2 {
		if err := c.exemptFromMasquerade(ctx, "203.0.113.77"); err != nil {
			t.Fatal(err)
		}
	}
	if err := c.exemptFromMasquerade(ctx, "203.0.113.78"); err != nil {
		t.Fatal(err)
	}
	want := [][]string{exemptionRule(c.name, "203.0.113.78", "192.0.2.0/24"), exemptionRule(c.name, "203.0.113.77", "192.0.2.0/24")}
	if got := list(); !reflect.DeepEqual(got, want) {
		t.Fatalf("after adding twice and once: %q; want %q", got, want)
	}
	if err := c.unexemptFromMasquerade(ctx, "203.0.113.78"); err != nil {
		t.Fatal(err)
	}
	if err := c.unexemptFromMasquerade(ctx, "203.0.113.78"); err != nil {
		t.Fatalf("removing twice: %v", err)
	}
	if got := list(); !reflect.DeepEqual(got, want[1:]) {
		t.Fatalf("after removing one: %q; want %q", got, want[1:])
	}
	if err := removeMasqueradeExemptions(ctx, io.Discard, c.name); err != nil {
		t.Fatal(err)
	}
	if got := list(); len(got) != 0 {
		t.Errorf("left after removing all: %q", got)
	}
}
