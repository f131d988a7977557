package main

import (
	"fmt"
	"io"
	"strconv"

	"github.com/netpolcheck/netpolcheck/enforcer/controller"
)

// metricFamily is one metric in the Prometheus text format: its samples
// share a name, a help line and a type.
type metricFamily struct {
	name, help, kind string
	samples          []sample
}

// sample is one line of a family; labels are written as given, in order.
type sample struct {
	labels string
	value  string
}

func integer(n uint64) string      { return strconv.FormatUint(n, 10) }
func seconds(s float64) string     { return strconv.FormatFloat(s, 'g', -1, 64) }
func single(value string) []sample { return []sample{{value: value}} }
func gauge(n int) []sample         { return single(strconv.Itoa(n)) }
func labelled(l, v string) sample  { return sample{labels: l, value: v} }

// writeMetrics writes the controller's metrics and the drop records counted
// by direction. It is written by hand to keep the daemon free of a client
// library; names follow Prometheus conventions (_total counters, base units).
func writeMetrics(w io.Writer, m controller.Metrics, dropsIngress, dropsEgress uint64, tierDrops []sample) {
	v := m.Verdicts
	families := []metricFamily{
		{"netpolcheck_enforcer_verdicts_total", "Packets decided by the datapath, by policy direction and verdict.", "counter", []sample{
			labelled(`direction="ingress",verdict="allowed"`, integer(v.IngressAllowed)),
			labelled(`direction="ingress",verdict="denied"`, integer(v.IngressDenied)),
			labelled(`direction="egress",verdict="allowed"`, integer(v.EgressAllowed)),
			labelled(`direction="egress",verdict="denied"`, integer(v.EgressDenied)),
		}},
		{"netpolcheck_enforcer_drops_total", "Drop records read from the datapath, by the policy direction that denied.", "counter", []sample{
			labelled(`direction="ingress"`, integer(dropsIngress)),
			labelled(`direction="egress"`, integer(dropsEgress)),
		}},
		{"netpolcheck_enforcer_drops_lost_total", "Drop records the ring buffer had no room for.", "counter", single(integer(v.DropsLost))},
		{"netpolcheck_enforcer_tier_drops_total", "Drop records under ClusterNetworkPolicy tiers, by the tier, cluster policy and rule that denied (tier NetworkPolicy: isolation).", "counter", tierDrops},
		{"netpolcheck_enforcer_map_entries", "Entries of the policy tables in force, by map.", "gauge", []sample{
			labelled(`map="endpoints"`, strconv.Itoa(m.Endpoints)),
			labelled(`map="peers"`, strconv.Itoa(m.Peers)),
			labelled(`map="ports"`, strconv.Itoa(m.Ports)),
		}},
		{"netpolcheck_enforcer_skipped_endpoints", "Local pods the compiler had to leave unenforced.", "gauge", gauge(m.Skipped)},
		{"netpolcheck_enforcer_applied_generation", "Generation of the policy tables in force, 0 before the first Apply.", "gauge", single(integer(uint64(m.Generation)))},
		{"netpolcheck_enforcer_last_sync_latency_seconds", "Time from the first change a sync covered to its Apply returning, for the last sync.", "gauge", single(seconds(m.LastSyncLatency.Seconds()))},
		{"netpolcheck_enforcer_max_sync_latency_seconds", "The longest such time since the daemon started.", "gauge", single(seconds(m.MaxSyncLatency.Seconds()))},
		{"netpolcheck_enforcer_events_total", "Informer notifications received.", "counter", single(integer(m.Events))},
		{"netpolcheck_enforcer_syncs_total", "Compile-and-apply passes.", "counter", single(integer(m.Syncs))},
		{"netpolcheck_enforcer_sync_errors_total", "Compile-and-apply passes that failed.", "counter", single(integer(m.SyncErrors))},
	}
	for _, f := range families {
		fmt.Fprintf(w, "# HELP %s %s\n# TYPE %s %s\n", f.name, f.help, f.name, f.kind)
		for _, s := range f.samples {
			if s.labels == "" {
				fmt.Fprintf(w, "%s %s\n", f.name, s.value)
				continue
			}
			fmt.Fprintf(w, "%s{%s} %s\n", f.name, s.labels, s.value)
		}
	}
}
