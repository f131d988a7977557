package local

import (
	"context"
	"fmt"
	"net/netip"
	"strings"
	"sync"

	"github.com/netpolcheck/netpolcheck/probes"
)

// dnsPort is where a cluster's DNS serves, over UDP.
const dnsPort = 53

// resolveNames resolves the names of the probes by DNS name among jobs,
// each from its source's namespace, through the ClusterIP of the resolver
// pod's Service, as a pod's resolver reaches kube-dns. Jobs whose name
// resolved come back with the address it resolved to, with their indexes
// in at; the others are answered in results: blocked (unresolved) when the
// query got no answer, an error when the answer was not an address.
func (c *Cluster) resolveNames(ctx context.Context, jobs []probes.Job, at []int, results []probes.Result) ([]probes.Job, []int) {
	type lookup struct {
		k      int // index in jobs
		name   string
		server netip.AddrPort
		l      *probes.Lookup
	}
	bySource := map[string][]*lookup{}
	var order []string
	var pending []*lookup
	for k, j := range jobs {
		if j.Target != probes.TargetDNS {
			continue
		}
		vip, ok := c.services.clusterIP(j.Resolver)
		if !ok {
			results[at[k]] = probes.Result{Job: j, Outcome: probes.Error, Detail: fmt.Sprintf("resolver %q is not a pod of the cluster", j.Resolver)}
			continue
		}
		ns, pod, _ := strings.Cut(j.To, "/")
		lk := &lookup{k: k, name: probes.ServiceDNSName(probes.ServiceNameOf(pod), ns), server: netip.AddrPortFrom(vip, dnsPort)}
		if bySource[j.From] == nil {
			order = append(order, j.From)
		}
		bySource[j.From] = append(bySource[j.From], lk)
		pending = append(pending, lk)
	}
	if len(pending) == 0 {
		return jobs, at
	}
	for _, from := range order {
		lks := bySource[from]
		err := c.enterSource(from, func() {
			for _, lk := range lks {
				lk.l = probes.StartLookup(lk.server, lk.name, jobs[lk.k].Timeout)
			}
		})
		if err != nil {
			for _, lk := range lks {
				results[at[lk.k]] = probes.Result{Job: jobs[lk.k], Outcome: probes.Error, Detail: "resolve: " + err.Error()}
				lk.l = nil
			}
		}
	}
	resolved := make([]netip.Addr, len(pending))
	errs := make([]error, len(pending))
	watch := c.dropWatch()
	var wg sync.WaitGroup
	for i, lk := range pending {
		if lk.l == nil {
			continue
		}
		j := jobs[lk.k]
		query := probes.Job{From: j.From, To: j.Resolver, Host: lk.server.Addr().String(), Port: dnsPort, Protocol: probes.UDP}
		wg.Go(func() { resolved[i], errs[i] = lk.l.FinishWatched(ctx, query, watch) })
	}
	wg.Wait()
	failed := map[int]bool{}
	for i, lk := range pending {
		j := jobs[lk.k]
		switch {
		case lk.l == nil:
			failed[lk.k] = true
		case errs[i] != nil:
			results[at[lk.k]] = probes.LookupFailed(j, lk.name, lk.server, errs[i])
			failed[lk.k] = true
		default:
			jobs[lk.k].Host = resolved[i].String()
		}
	}
	var keptJobs []probes.Job
	var keptAt []int
	for k, j := range jobs {
		if !failed[k] {
			keptJobs = append(keptJobs, j)
			keptAt = append(keptAt, at[k])
		}
	}
	return keptJobs, keptAt
}
