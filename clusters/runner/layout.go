package runner

import (
	"fmt"
	"slices"
	"strings"

	"github.com/netpolcheck/netpolcheck/scenarios"
)

// Scenarios whose models differ only in the ports their pods serve share a
// parked cluster when every pod serves the union of those ports, as the
// upstream suite's x/y/z pods serve 80 and 81 over TCP, UDP and SCTP for
// every test. A scenario never probes a port its own model lacks (the
// oracle's targets are its own pods' ports), so the extra ports change no
// cell of it, provided named ports mean the same thing everywhere: within a
// group, one port has one name (or none) in every model, and one name names
// one port. A policy naming a port the scenario's pod lacks then names, on
// the shared cluster, only a port the scenario does not probe.

// servedPorts is what a shared cluster's endpoints serve: per pod ID, and
// per external host name.
type servedPorts struct {
	pods  map[string][]scenarios.Port
	hosts map[string][]scenarios.Port
}

// modelPlan is what a run plans for one scenario's cluster: the ports it
// serves (nil: the scenario's own) and the model key it is parked under
// ("" when it is never parked).
type modelPlan struct {
	served *servedPorts
	key    string
}

// planModels groups the scenarios whose clusters a run may park (parkable)
// by their layout, and plans each one's cluster.
func planModels(scns []*scenarios.Scenario, parkable func(*scenarios.Scenario, *scenarios.World) bool) []modelPlan {
	out := make([]modelPlan, len(scns))
	worlds := make([]*scenarios.World, len(scns))
	groups := map[string][]*servedPorts{}
	for i, s := range scns {
		st, err := scenarios.NewState(s)
		if err != nil {
			continue // reported when the scenario starts
		}
		w := st.World()
		if !parkable(s, w) {
			continue
		}
		key := layoutKey(w)
		var group *servedPorts
		for _, g := range groups[key] {
			if g.admits(w) {
				group = g
				break
			}
		}
		if group == nil {
			group = &servedPorts{pods: map[string][]scenarios.Port{}, hosts: map[string][]scenarios.Port{}}
			groups[key] = append(groups[key], group)
		}
		group.add(w)
		out[i].served, worlds[i] = group, w
	}
	for i, w := range worlds {
		if w != nil {
			out[i].key = modelKey(out[i].served.serving(w))
		}
	}
	return out
}

// layoutKey is modelKey without ports: namespaces, pods and their planned
// addresses, external hosts and theirs.
func layoutKey(w *scenarios.World) string {
	var b strings.Builder
	for _, ns := range w.Namespaces {
		fmt.Fprintf(&b, "ns %s\n", ns.Name)
	}
	for _, p := range w.Pods {
		fmt.Fprintf(&b, "pod %s %s\n", p.ID(), p.IP)
	}
	for _, h := range w.ExternalHosts {
		fmt.Fprintf(&b, "host %s %s\n", h.Name, h.IP)
	}
	return b.String()
}

// admits tells whether w's ports agree with the group's on every name.
func (s *servedPorts) admits(w *scenarios.World) bool {
	for _, p := range w.Pods {
		if !portsAgree(s.pods[p.ID()], p.Ports) {
			return false
		}
	}
	for _, h := range w.ExternalHosts {
		if !portsAgree(s.hosts[h.Name], h.Ports) {
			return false
		}
	}
	return true
}

// portsAgree: no port of b has another name in a, and no name of b names
// another port in a.
func portsAgree(a, b []scenarios.Port) bool {
	for _, pb := range b {
		for _, pa := range a {
			samePort := pa.Port == pb.Port && pa.Protocol == pb.Protocol
			if (samePort && pa.Name != pb.Name) || (!samePort && pb.Name != "" && pa.Name == pb.Name) {
				return false
			}
		}
	}
	return true
}

func (s *servedPorts) add(w *scenarios.World) {
	for _, p := range w.Pods {
		s.pods[p.ID()] = unionPorts(s.pods[p.ID()], p.Ports)
	}
	for _, h := range w.ExternalHosts {
		s.hosts[h.Name] = unionPorts(s.hosts[h.Name], h.Ports)
	}
}

func unionPorts(a, b []scenarios.Port) []scenarios.Port {
	for _, p := range b {
		if !slices.Contains(a, p) {
			a = append(a, p)
		}
	}
	return a
}

// serving is w with its endpoints serving s's ports, for Setup; w itself
// when s is nil.
func (s *servedPorts) serving(w *scenarios.World) *scenarios.World {
	if s == nil {
		return w
	}
	out := *w
	out.Pods = slices.Clone(w.Pods)
	for i := range out.Pods {
		out.Pods[i].Ports = slices.Clone(s.pods[out.Pods[i].ID()])
	}
	out.ExternalHosts = slices.Clone(w.ExternalHosts)
	for i := range out.ExternalHosts {
		out.ExternalHosts[i].Ports = slices.Clone(s.hosts[out.ExternalHosts[i].Name])
	}
	return &out
}
