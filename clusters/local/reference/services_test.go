package reference

import (
	"context"
	"os/exec"
	"strings"
	"testing"

	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/netpolcheck/netpolcheck/clusters"
	"github.com/netpolcheck/netpolcheck/clusters/local"
	"github.com/netpolcheck/netpolcheck/probes"
	"github.com/netpolcheck/netpolcheck/scenarios"
)

// With Services, pods dial each other's ClusterIPs, translated in the node
// namespace, and the enforcer judges the backend: x/a may send to x/b on 80
// only and accepts nothing, so its answers pass only as replies to its
// approved egress, on the backend's address.
func TestIntegrationServicesAreJudgedByTheirBackend(t *testing.T) {
	ctx := context.Background()
	var enf *Enforcer
	c, _ := newReferenceClusterWith(t, "services", &enf, local.Options{Targets: []probes.Target{probes.TargetService}})
	if _, err := c.Setup(ctx, testWorld()); err != nil {
		t.Fatal(err)
	}
	port := intstr.FromInt32(80)
	onlyToB := &networkingv1.NetworkPolicy{
		ObjectMeta: metav1.ObjectMeta{Namespace: "x", Name: "a-to-b"},
		Spec: networkingv1.NetworkPolicySpec{
			PodSelector: metav1.LabelSelector{MatchLabels: map[string]string{"pod": "a"}},
			PolicyTypes: []networkingv1.PolicyType{networkingv1.PolicyTypeIngress, networkingv1.PolicyTypeEgress},
			Egress: []networkingv1.NetworkPolicyEgressRule{{
				To:    []networkingv1.NetworkPolicyPeer{{PodSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"pod": "b"}}}},
				Ports: []networkingv1.NetworkPolicyPort{{Port: &port}},
			}},
		},
	}
	if _, err := c.Apply(ctx, scenarios.Change{Kind: scenarios.ApplyPolicy, Policy: onlyToB}); err != nil {
		t.Fatal(err)
	}
	if err := c.(clusters.Syncer).Sync(ctx); err != nil {
		t.Fatal(err)
	}
	viaService := func(j probes.Job) probes.Job {
		j.Target = probes.TargetService
		return j
	}
	toC := viaService(job("x/a", "x/c", 80, "TCP"))
	results, err := c.Probe(ctx, []probes.Job{viaService(job("x/a", "x/b", 80, "TCP")), toC, job("ext", "x/a", 80, "TCP"),
		viaService(job("x/a", "ext", 80, "TCP"))})
	if err != nil {
		t.Fatal(err)
	}
	if r := results[0]; r.Outcome != probes.Allowed || r.Job.Host != podIP["x/b"] {
		t.Errorf("a to b's Service: %s (%s), job %+v; want allowed, reported with b's own address", r.Outcome, r.Detail, r.Job)
	}
	if r := results[1]; r.Outcome != probes.Blocked || r.Blocked != probes.Dropped || !strings.Contains(r.Detail, "the network logged the drop") {
		t.Errorf("a to c's Service: %s (%s), want blocked (dropped), ended by the drop logged at c's own address", r.Outcome, r.Detail)
	}
	if drops := c.(clusters.DropReporter).Drops(toC); len(drops) == 0 {
		t.Errorf("no drop logged for a to c by c's own address")
	}
	if r := results[2]; r.Outcome != probes.Blocked {
		t.Errorf("external host to a (no ClusterIP outside the cluster: dialled directly): %s (%s), want blocked", r.Outcome, r.Detail)
	}

	if r := results[3]; r.Outcome != probes.Skipped || r.Detail != "ext is not a pod: only pods have Services" {
		t.Errorf("to an external host through a Service: %s (%s), want skipped, saying why", r.Outcome, r.Detail)
	}

	// The translation is the node's own nftables table.
	out, err := exec.Command("nsenter", "--net="+c.(*local.Cluster).Node().Path, "nft", "list", "table", "ip", "netpolcheck_services").CombinedOutput()
	if err != nil {
		t.Fatalf("nft list: %v: %s", err, out)
	}
	for _, want := range []string{"198.18.0.1 : 192.168.1.1", "198.18.0.2 : 192.168.1.2", "198.18.0.3 : 192.168.1.3", "dnat to ip daddr map @backends"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("services table lacks %q:\n%s", want, out)
		}
	}
}
