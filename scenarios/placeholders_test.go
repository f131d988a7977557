package scenarios

import (
	"testing"

	networkingv1 "k8s.io/api/networking/v1"
)

func TestExpandString(t *testing.T) {
	ipOf := func(pod string) (string, bool) {
		ips := map[string]string{"x/a": "192.168.0.10", "y/b": "192.168.1.11", "v6/a": "fd00::1:5", "bad/ip": "not-an-ip"}
		ip, ok := ips[pod]
		return ip, ok
	}
	tests := []struct{ in, want, err string }{
		{in: "10.0.0.0/8", want: "10.0.0.0/8"},
		{in: `{{ podIP "x/a" }}/32`, want: "192.168.0.10/32"},
		{in: `{{podIP "y/b"}}/32`, want: "192.168.1.11/32"},
		{in: `{{ cidr "y/b" 24 }}`, want: "192.168.1.0/24"},
		{in: `{{ cidr "y/b" 16 }}`, want: "192.168.0.0/16"},
		{in: `{{ cidr "v6/a" 64 }}`, want: "fd00::/64"},
		{in: `{{ podIP "x/a" }}/32 {{ podIP "y/b" }}`, want: "192.168.0.10/32 192.168.1.11"},
		{in: `{{ podIP "x/zz" }}/32`, err: `placeholder {{ podIP "x/zz" }}: pod "x/zz" does not exist`},
		{in: `{{ podIP x/a }}/32`, err: `placeholder {{ podIP x/a }}: pod must be a double-quoted "ns/pod", not x/a`},
		{in: `{{ podIP "x/a" 24 }}`, err: `placeholder {{ podIP "x/a" 24 }}: podIP takes 1 argument(s), got 2`},
		{in: `{{ cidr "x/a" 33 }}`, err: `placeholder {{ cidr "x/a" 33 }}: prefix length 33 is out of range 0-32`},
		{in: `{{ cidr "x/a" }}`, err: `placeholder {{ cidr "x/a" }}: cidr takes 2 argument(s), got 1`},
		{in: `{{ nodeIP "x/a" }}`, err: `placeholder {{ nodeIP "x/a" }}: unknown function "nodeIP": want podIP or cidr`},
		{in: `{{ }}`, err: `placeholder {{ }}: empty: want podIP "ns/pod" or cidr "ns/pod" N`},
		{in: `{{ podIP "x/a" /32`, err: `unclosed placeholder in "{{ podIP \"x/a\" /32"`},
		{in: `{{ podIP "bad/ip" }}`, err: `placeholder {{ podIP "bad/ip" }}: pod "bad/ip" has no valid address ("not-an-ip")`},
	}
	for _, tc := range tests {
		got, msg := expandString(tc.in, ipOf)
		if got != tc.want || msg != tc.err {
			t.Errorf("expandString(%q) = %q, %q; want %q, %q", tc.in, got, msg, tc.want, tc.err)
		}
	}
}

func TestExpandPlaceholdersOnlyTouchesIPBlocks(t *testing.T) {
	p := &networkingv1.NetworkPolicy{}
	p.Name, p.Namespace = "p", "x"
	p.Annotations = map[string]string{"note": `{{ podIP "x/a" }}`}
	p.Spec.Ingress = []networkingv1.NetworkPolicyIngressRule{{From: []networkingv1.NetworkPolicyPeer{
		{IPBlock: &networkingv1.IPBlock{CIDR: `{{ cidr "x/a" 24 }}`, Except: []string{`{{ podIP "x/a" }}/32`}}},
	}}}
	p.Spec.Egress = []networkingv1.NetworkPolicyEgressRule{{To: []networkingv1.NetworkPolicyPeer{
		{PodSelector: nil}, {IPBlock: &networkingv1.IPBlock{CIDR: `{{ podIP "x/zz" }}/32`, Except: []string{"{{ cidr }}"}}},
	}}}
	ipOf := func(pod string) (string, bool) { return "192.168.0.10", pod == "x/a" }
	_, err := ExpandPlaceholders(p, ipOf)
	want := `spec.egress[0].to[1].ipBlock.cidr: placeholder {{ podIP "x/zz" }}: pod "x/zz" does not exist` + "\n" +
		`spec.egress[0].to[1].ipBlock.except[0]: placeholder {{ cidr }}: cidr takes 2 argument(s), got 0`
	if err == nil || err.Error() != want {
		t.Fatalf("error\n got: %v\nwant: %s", err, want)
	}
	p.Spec.Egress = nil
	out, err := ExpandPlaceholders(p, ipOf)
	if err != nil {
		t.Fatal(err)
	}
	got := []string{out.Spec.Ingress[0].From[0].IPBlock.CIDR, out.Spec.Ingress[0].From[0].IPBlock.Except[0], out.Annotations["note"], p.Spec.Ingress[0].From[0].IPBlock.CIDR}
	equalJSON(t, "expanded", got, []string{"192.168.0.0/24", "192.168.0.10/32", `{{ podIP "x/a" }}`, `{{ cidr "x/a" 24 }}`})
	if _, err := ExpandPlaceholders(nil, ipOf); err == nil || err.Error() != "no policy given" {
		t.Errorf("nil policy: %v", err)
	}
}
