package behaviour

import (
	"context"
	"fmt"
	"io"
	"slices"
	"time"

	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/netpolcheck/netpolcheck/clusters"
	"github.com/netpolcheck/netpolcheck/probes"
	"github.com/netpolcheck/netpolcheck/reports"
	"github.com/netpolcheck/netpolcheck/scenarios"
)

// Options bound the measurements.
type Options struct {
	// ProbeTimeout bounds each probe.
	ProbeTimeout time.Duration
	// Converge bounds how long a deny may take to be in force for new
	// connections before the measurement gives up.
	Converge time.Duration
	// Restart bounds waiting for the enforcer's pods to come back.
	Restart time.Duration
	// Progress gets a line per measurement; nil discards them.
	Progress io.Writer
	// Target is how pods dial each other for the established connections:
	// by default through Services when the backend has them, the way
	// applications connect, else by pod IP. Host traffic always dials the
	// pod IP, as kubelet's probes do.
	Target probes.Target
}

// Observation names, as reports and report compare show them.
const (
	EstablishedIngress = "established connection, ingress deny"
	EstablishedEgress  = "established connection, egress deny"
	EnforcerRestart    = "enforcer restart"
	HostSameNode       = "node to isolated pod"
	HostOtherNode      = "other node's host network to isolated pod"
)

// Values of the observations.
const (
	Kept         = "kept"
	Cut          = "cut"
	FailOpen     = "fail-open"
	StayedClosed = "stayed closed"
	NotMeasured  = "not measured"
)

// The world the measurements run in: in namespace behaviour, a→b is held
// while b's ingress is denied and c→d while c's egress is denied.
const namespace = "behaviour"

var port = scenarios.Port{Name: "serve-80-tcp", Port: 80, Protocol: scenarios.TCP}

func world() *scenarios.World {
	w := &scenarios.World{Namespaces: []scenarios.Namespace{{Name: namespace, Labels: map[string]string{"kubernetes.io/metadata.name": namespace}}}}
	for _, name := range []string{"a", "b", "c", "d"} {
		w.Pods = append(w.Pods, scenarios.Pod{Namespace: namespace, Name: name,
			Labels: map[string]string{"behaviour": name}, Ports: []scenarios.Port{port}})
	}
	return w
}

// denyAll is a policy selecting one pod and allowing nothing in direction.
func denyAll(pod string, direction networkingv1.PolicyType) *networkingv1.NetworkPolicy {
	return &networkingv1.NetworkPolicy{
		TypeMeta:   metav1.TypeMeta{APIVersion: "networking.k8s.io/v1", Kind: "NetworkPolicy"},
		ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: "deny-" + pod},
		Spec: networkingv1.NetworkPolicySpec{
			PodSelector: metav1.LabelSelector{MatchLabels: map[string]string{"behaviour": pod}},
			PolicyTypes: []networkingv1.PolicyType{direction},
		},
	}
}

func (o Options) job(from, to string, addrs clusters.Addresses) probes.Job {
	return probes.Job{From: namespace + "/" + from, To: namespace + "/" + to, Host: addrs[namespace+"/"+to],
		Port: port.Port, Protocol: string(port.Protocol), Expect: namespace + "/" + to, Timeout: o.ProbeTimeout, Target: o.Target}
}

// Measure runs the measurements on one cluster of backend and returns their
// observations; what it could not measure is an observation saying why.
func Measure(ctx context.Context, backend clusters.Backend, opts Options) []reports.Observation {
	if opts.Progress == nil {
		opts.Progress = io.Discard
	}
	if opts.Target == "" {
		opts.Target = probes.TargetPod
		if slices.Contains(backend.Capabilities().ProbeTargets(), probes.TargetService) {
			opts.Target = probes.TargetService
		}
	}
	notMeasured := func(why string) []reports.Observation {
		return []reports.Observation{
			{Name: EstablishedIngress, Value: NotMeasured, Detail: why},
			{Name: EstablishedEgress, Value: NotMeasured, Detail: why},
			{Name: HostSameNode, Value: NotMeasured, Detail: why},
			{Name: HostOtherNode, Value: NotMeasured, Detail: why},
			{Name: EnforcerRestart, Value: NotMeasured, Detail: why},
		}
	}
	c, err := backend.NewCluster(ctx, "behaviour")
	if err != nil {
		return notMeasured("make a cluster: " + err.Error())
	}
	defer func() {
		if err := c.Teardown(context.WithoutCancel(ctx)); err != nil {
			fmt.Fprintf(opts.Progress, "behaviour: tear down: %v\n", err)
		}
	}()
	holder, ok := c.(clusters.Holder)
	if !ok {
		return notMeasured(fmt.Sprintf("the %s cluster cannot hold connections", backend.Name()))
	}
	addrs, err := c.Setup(ctx, world())
	if err != nil {
		return notMeasured("set up: " + err.Error())
	}
	m := &measurement{opts: opts, cluster: c, holder: holder, addrs: addrs}
	out := m.established(ctx)
	out = append(out, m.hostTraffic(ctx)...)
	// Last: it disturbs the enforcer.
	out = append(out, m.restart(ctx))
	for _, o := range out {
		fmt.Fprintf(opts.Progress, "behaviour: %s: %s (%s)\n", o.Name, o.Value, o.Detail)
	}
	return out
}

type measurement struct {
	opts    Options
	cluster clusters.Cluster
	holder  clusters.Holder
	addrs   clusters.Addresses
	// denied is a session from a whose dials to b the ingress deny blocks,
	// left open by established for restart; nil when there is none.
	denied clusters.HeldConnection
}
