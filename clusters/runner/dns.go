package runner

import (
	"github.com/netpolcheck/netpolcheck/reports"
	"github.com/netpolcheck/netpolcheck/scenarios"
	"github.com/netpolcheck/netpolcheck/scenarios/truth"
)

// dnsPort is where the cluster DNS answers queries, over UDP.
const dnsPort = scenarios.ClusterDNSPort

// noClusterDNS is the skip reason of a probe by name in a model without a
// cluster DNS to resolve through.
const noClusterDNS = "dns: the model has no cluster DNS to resolve through (a pod labelled " +
	scenarios.ClusterDNSLabel + "=" + scenarios.ClusterDNSApp + " in namespace " + scenarios.ClusterDNSNamespace + " that serves 53/UDP)"

// resolverSelf is the skip reason of a probe by name from the cluster DNS
// pod itself, which resolves nothing through its own Service.
const resolverSelf = "dns: the cluster DNS pod does not resolve names through itself"

// clusterDNS is the model's cluster DNS pod (scenarios.IsClusterDNS), the
// first as the table lists them; "" when there is none.
func clusterDNS(table *truth.TruthTable) string {
	for _, e := range table.Endpoints {
		if e.Pod != nil && scenarios.IsClusterDNS(*e.Pod) {
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
