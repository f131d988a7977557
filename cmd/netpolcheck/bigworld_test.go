package main

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
)

// writeBigWorld writes plain manifests of a cluster with pods pods spread
// over namespaces namespaces and policies NetworkPolicies, with kind's pod
// addresses, as `kubectl get ns,pods,netpol -A -o yaml` would give them.
// The policies mix what real ones hold: ingress and egress, pod and
// namespace selectors, ipBlocks with except, numbered and named ports.
//
// With compat, the same world is written the way netpolcheck before v1 List
// support and any-address pods read it: one document per object and pod
// addresses in 192.168.0.0/16 (the ipBlocks move with them), so that the
// benchmark can time the older binary on it.
func writeBigWorld(dir string, pods, namespaces, policies int, compat bool) error {
	rng := rand.New(rand.NewPCG(1, uint64(pods)))
	var b strings.Builder
	net := "10.244"
	if compat {
		net = "192.168"
	} else {
		b.WriteString("apiVersion: v1\nkind: List\nitems:\n")
	}
	apps := []string{"web", "api", "db", "cache", "worker"}
	for n := range namespaces {
		fmt.Fprintf(&b, "- apiVersion: v1\n  kind: Namespace\n  metadata: {name: ns%d, labels: {team: t%d, env: %s}}\n", n, n%5, []string{"prod", "dev"}[n%2])
	}
	for i := range pods {
		app := apps[i%len(apps)]
		fmt.Fprintf(&b, "- apiVersion: v1\n  kind: Pod\n  metadata: {name: %s-%d, namespace: ns%d, labels: {app: %s, tier: t%d}}\n", app, i, i%namespaces, app, i%3)
		fmt.Fprintf(&b, "  spec: {containers: [{name: c, image: agnhost, ports: [{containerPort: 8080, name: http}]}]}\n")
		fmt.Fprintf(&b, "  status: {podIP: 10.244.%d.%d}\n", i/250, 2+i%250)
	}
	for p := range policies {
		ns := p % namespaces
		app := apps[rng.IntN(len(apps))]
		fmt.Fprintf(&b, "- apiVersion: networking.k8s.io/v1\n  kind: NetworkPolicy\n  metadata: {name: pol-%d, namespace: ns%d}\n  spec:\n    podSelector: {matchLabels: {app: %s}}\n", p, ns, app)
		peer := func() string {
			switch rng.IntN(4) {
			case 0:
				return fmt.Sprintf("{podSelector: {matchLabels: {app: %s}}}", apps[rng.IntN(len(apps))])
			case 1:
				return fmt.Sprintf("{namespaceSelector: {matchLabels: {team: t%d}}}", rng.IntN(5))
			case 2:
				return fmt.Sprintf("{namespaceSelector: {matchLabels: {env: prod}}, podSelector: {matchExpressions: [{key: tier, operator: In, values: [t%d, t%d]}]}}", rng.IntN(3), rng.IntN(3))
			}
			return fmt.Sprintf("{ipBlock: {cidr: 10.244.0.0/16, except: [10.244.%d.0/24]}}", rng.IntN(4))
		}
		port := []string{"{port: 8080}", "{port: http}", "{port: 8000, endPort: 9000}"}[rng.IntN(3)]
		switch rng.IntN(3) {
		case 0:
			fmt.Fprintf(&b, "    ingress:\n    - from: [%s, %s]\n      ports: [%s]\n", peer(), peer(), port)
		case 1:
			fmt.Fprintf(&b, "    policyTypes: [Egress]\n    egress:\n    - to: [%s]\n      ports: [%s]\n", peer(), port)
		default:
			fmt.Fprintf(&b, "    policyTypes: [Ingress, Egress]\n    ingress:\n    - from: [%s]\n    egress:\n    - to: [%s, %s]\n", peer(), peer(), peer())
		}
	}
	text := b.String()
	if compat {
		// Top-level documents instead of List items.
		text = strings.ReplaceAll(strings.ReplaceAll("\n"+text, "\n- apiVersion", "\n---\napiVersion"), "\n  ", "\n")
	}
	text = strings.ReplaceAll(text, "10.244.", net+".")
	return os.WriteFile(filepath.Join(dir, "world.yaml"), []byte(text), 0o644)
}
