package behaviour

import (
	"context"
	"fmt"

	"github.com/netpolcheck/netpolcheck/clusters"
	"github.com/netpolcheck/netpolcheck/probes"
	"github.com/netpolcheck/netpolcheck/reports"
)

// hostTraffic probes b, whose ingress the deny isolates, from the host
// network of b's own node (where the kubelet's probes come from) and of
// another node (a host-network pod elsewhere), with d, which nothing
// isolates, as the control that the host network reaches pods at all.
func (m *measurement) hostTraffic(ctx context.Context) []reports.Observation {
	names := []string{HostSameNode, HostOtherNode}
	all := func(why string) []reports.Observation {
		return []reports.Observation{notMeasured(HostSameNode, why), notMeasured(HostOtherNode, why)}
	}
	prober, ok := m.cluster.(clusters.HostProber)
	switch {
	case !ok:
		return all("this cluster cannot send probes from a node's host network")
	case m.denied == nil:
		return all("the ingress deny was not measured, so no pod is known to be isolated")
	}
	byPodIP := m.opts
	byPodIP.Target = probes.TargetPod
	isolated, control := byPodIP.job("a", "b", m.addrs), byPodIP.job("a", "d", m.addrs)
	var out []reports.Observation
	for i, sameNode := range []bool{true, false} {
		results, err := prober.ProbeFromHost(ctx, []probes.Job{isolated, control}, namespace+"/b", sameNode)
		if err != nil {
			out = append(out, notMeasured(names[i], err.Error()))
			continue
		}
		out = append(out, hostObservation(names[i], results[0], results[1]))
	}
	return out
}

// hostObservation judges the probe to the isolated pod, provided the
// control got through.
func hostObservation(name string, isolated, control probes.Result) reports.Observation {
	if control.Outcome != probes.Allowed {
		return notMeasured(name, fmt.Sprintf("the host network did not reach a pod that nothing isolates either (%s: %s)", control.Outcome, control.Detail))
	}
	switch isolated.Outcome {
	case probes.Allowed:
		return reports.Observation{Name: name, Value: "allowed", Detail: "an ingress-isolated pod answered the host network, as it answered a pod that nothing isolates"}
	case probes.Blocked:
		return reports.Observation{Name: name, Value: "blocked", Detail: fmt.Sprintf("an ingress-isolated pod was %s to the host network, which reached a pod that nothing isolates", isolated.Blocked)}
	default:
		return notMeasured(name, "the probe to the isolated pod failed: "+isolated.Detail)
	}
}
