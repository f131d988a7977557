package runner

import (
	"github.com/netpolcheck/netpolcheck/reports"
	"github.com/netpolcheck/netpolcheck/scenarios"
	"github.com/netpolcheck/netpolcheck/scenarios/truth"
)

// The cluster DNS a probe by name resolves through: the pods kube-dns's
// Service selects on every common distribution, and its port.
const (
	dnsNamespace = "kube-system"
	dnsLabel     = "k8s-app"
	dnsLabelApp  = "kube-dns"
	dnsPort      = 53
)

// noClusterDNS is the skip reason of a probe by name in a model without a
// cluster DNS to resolve through.
const noClusterDNS = "dns: the model has no cluster DNS to resolve through (a pod labelled " +
	dnsLabel + "=" + dnsLabelApp + " in namespace " + dnsNamespace + " that serves 53/UDP)"

// resolverSelf is the skip reason of a probe by name from the cluster DNS
// pod itself, which resolves nothing through its own Service.
const resolverSelf = "dns: the cluster DNS pod does not resolve names through itself"

// clusterDNS is the model's cluster DNS pod: the first pod of kube-system
// labelled k8s-app=kube-dns that serves 53/UDP, as the table lists it;
// "" when there is none.
func clusterDNS(table *truth.TruthTable) string {
	for _, e := range table.Endpoints {
		p := e.Pod
		if p == nil || p.Namespace != dnsNamespace || p.Labels[dnsLabel] != dnsLabelApp {
			continue
		}
		if _, ok := table.Lookup(e.ID, e.ID, dnsPort, scenarios.UDP); ok {
			return e.ID
		}
	}
	return ""
}

// byName is the expected outcome of a probe by name: the name resolves only
// if the source may send its query to the cluster DNS on 53/UDP, and the
// connection must then be allowed too. Either one blocked blocks it; else
// either one left open by the API leaves it open.
func byName(resolve, connect reports.Outcome) reports.Outcome {
	switch {
	case resolve == reports.OutcomeBlocked || connect == reports.OutcomeBlocked:
		return reports.OutcomeBlocked
	case resolve == reports.OutcomeUndefined || connect == reports.OutcomeUndefined:
		return reports.OutcomeUndefined
	}
	return reports.OutcomeAllowed
}

// resolution is the oracle's outcome of src's DNS query to the resolver.
func resolution(table *truth.TruthTable, src, resolver string) reports.Outcome {
	c, ok := table.Find(src, resolver, dnsPort, scenarios.UDP)
	if !ok {
		return reports.OutcomeBlocked
	}
	return expectedOutcome(c.Allowed, c.Undefined)
}

// endpointIP is the address of the endpoint named id; "" when there is none.
func endpointIP(table *truth.TruthTable, id string) string {
	for _, e := range table.Endpoints {
		if e.ID == id {
			return e.IP
		}
	}
	return ""
}
