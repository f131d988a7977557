package kube

import (
	"context"
	"reflect"
	"slices"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/netpolcheck/netpolcheck/clusters"
	"github.com/netpolcheck/netpolcheck/probes"
)

func TestSCTPAutoCheck(t *testing.T) {
	tests := []struct {
		name     string
		outcome  probes.Outcome
		podState func(*corev1.Pod)
		want     clusters.Capabilities
	}{
		{
			name: "allowed", outcome: probes.Allowed,
			want: clusters.Capabilities{SCTP: true},
		},
		{
			name: "blocked", outcome: probes.Blocked,
			want: clusters.Capabilities{SCTPReason: "the SCTP check (--sctp auto) found SCTP between two pods blocked: connect: timeout"},
		},
		{
			name: "server cannot start",
			podState: func(p *corev1.Pod) {
				if p.Name == "server" {
					p.Status.Phase = corev1.PodFailed
				}
			},
			want: clusters.Capabilities{SCTPReason: "the SCTP check (--sctp auto) could not start its pods: " +
				"1 probe pod cannot start: sctp-check/server (pod server in npc-r1-0-sctp-check): phase Failed; no events"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			k := newFakeCluster(t)
			k.podState = tt.podState
			exec := &fakeExec{answer: func(_ ExecRequest, j probes.Job) probes.Result {
				return probes.Result{Job: j, Outcome: tt.outcome, Detail: "connect: timeout"}
			}}
			opts := testOptions()
			opts.SCTP = SCTPAuto
			opts.StaticHosts = []StaticHost{{"h", "192.0.2.1"}}
			b := newTestBackend(t, k, exec, opts)
			tt.want.ExternalHosts, tt.want.ExternalHostsExclusive = true, true
			tt.want.ClusterNetworkPolicyReason, tt.want.AdminNetworkPolicyReason = noPolicyAPI, noPolicyAPI
			tt.want.Targets = []probes.Target{probes.TargetPod}
			if got := b.Capabilities(); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Capabilities() = %+v, want %+v", got, tt.want)
			}
			if list, _ := k.client.CoreV1().Namespaces().List(context.Background(), metav1.ListOptions{}); len(list.Items) != 0 {
				t.Errorf("the check left %d namespaces", len(list.Items))
			}
			if tt.outcome == "" {
				return
			}
			server := getPodCommand(t, exec)
			want := execCall{
				Namespace: "npc-r1-0-sctp-check", Pod: "client", Container: "probe",
				Command: []string{"/probe", "connect", "--batch", "--concurrency", "32"},
				Jobs: []probes.Job{{From: "sctp-check/client", To: "sctp-check/server", Host: "10.244.0.10",
					Port: 9, Protocol: "SCTP", Expect: "sctp-check/server"}},
			}
			if !reflect.DeepEqual(server, want) {
				t.Errorf("check exec %+v, want %+v", server, want)
			}
		})
	}
}

func getPodCommand(t *testing.T, exec *fakeExec) execCall {
	t.Helper()
	if len(exec.calls) != 1 {
		t.Fatalf("%d execs, want 1", len(exec.calls))
	}
	return exec.calls[0]
}

// TestSCTPAutoServesSCTP: the check's server serves SCTP even though the
// backend does not yet know whether SCTP works.
func TestSCTPAutoServesSCTP(t *testing.T) {
	k := newFakeCluster(t)
	var served []string
	k.podState = func(p *corev1.Pod) {
		c := p.Spec.Containers[0].Command
		served = append(served, p.Name+" "+c[len(c)-1])
	}
	opts := testOptions()
	opts.SCTP = SCTPAuto
	newTestBackend(t, k, &fakeExec{}, opts)
	slices.Sort(served) // the check's pods are created side by side
	if want := []string{"client 65535/TCP", "server 9/SCTP"}; !reflect.DeepEqual(served, want) {
		t.Errorf("served %v, want %v", served, want)
	}
}
