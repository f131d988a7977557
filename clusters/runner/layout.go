package runner

import (
	"maps"
	"slices"

	"github.com/netpolcheck/netpolcheck/scenarios"
)

// Setting a model up is most of a scenario's time on a real cluster, so
// scenarios share parked clusters beyond their own model: models that
// differ only in the ports their pods serve share a cluster whose pods
// serve the union, as the upstream suite's x/y/z pods serve 80 and 81 over
// TCP, UDP and SCTP for every test. (Models with other namespaces and pods
// side by side on one cluster were tried and dropped: docs/design.md.)
//
// This changes no cell. A scenario probes only its own pods on their own
// ports (the oracle's targets), and a cell's verdict depends only on its
// two ends and the policies: a policy of the scenario that also selects a
// pod it does not know, or admits one, decides only cells it never probes.
// What must agree is what a policy could name: within a shared model one
// port has one name (or none) in every model, and one name names one port, so a named port the scenario's pod lacks names,
// on the shared cluster, only a port the scenario does not probe.
//
// Scenarios that create or delete pods and namespaces (which another
// model's pods could collide with) share only with their own layout. So do
// all scenarios on backends that place pods at the addresses a model plans
// (the local cluster): a shared model would have to agree on those too.
// External hosts are part of the layout where the backend gives an address
// to one cluster at a time (ExternalHostsExclusive). Elsewhere (kind shares
// one container per address) a model's hosts are the union of its
// scenarios' hosts, like its ports: a host no policy can isolate decides
// none of the cells of a scenario that does not know it, so the x/y/z
// scenarios with the upstream suite's "outside" host share the cluster of
// those without.

// sharedModel is what one parked cluster holds: the namespaces, pods and
// external hosts of every scenario planned onto it, in the order first
// seen, each endpoint serving the union of its ports. Labels are those
// first seen; a scenario sets its own up (serving, then reset).
type sharedModel struct {
	namespaces []scenarios.Namespace
	pods       []scenarios.Pod
	hosts      []scenarios.ExternalHost
	podAt      map[string]int // pod ID -> index in pods
}

// modelPlan is what a run plans for one scenario's cluster: the model it
// sets up (nil: the scenario's own) and the key it is parked under ("" when
// it is never parked).
type modelPlan struct {
	served *sharedModel
	key    string
}

// planModels groups the scenarios whose clusters a run may park (parkable)
// into shared models, and plans each one's cluster.
func planModels(scns []*scenarios.Scenario, parkable func(*scenarios.Scenario, *scenarios.World) bool, hostsApart bool) []modelPlan {
	out := make([]modelPlan, len(scns))
	worlds := make([]*scenarios.World, len(scns))
	groups := map[string][]*sharedModel{}
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
		if !hostsApart {
			key = podLayoutKey(w)
		}
		var group *sharedModel
		for _, g := range groups[key] {
			if g.admits(w) {
				group = g
				break
			}
		}
		if group == nil {
			group = &sharedModel{podAt: map[string]int{}}
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

// admits tells whether w, of the model's layout, can join it: every pod
// and host keeps its port names.
func (m *sharedModel) admits(w *scenarios.World) bool {
	for _, p := range w.Pods {
		if i, ok := m.podAt[p.ID()]; ok && !portsAgree(m.pods[i].Ports, p.Ports) {
			return false
		}
	}
	for _, h := range w.ExternalHosts {
		for _, mh := range m.hosts {
			// One name, one address; one address, one name (a world
			// refuses two hosts on one address).
			if (mh.Name == h.Name) != (mh.IP == h.IP) || (mh.Name == h.Name && !portsAgree(mh.Ports, h.Ports)) {
				return false
			}
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

func (m *sharedModel) add(w *scenarios.World) {
	for _, ns := range w.Namespaces {
		if !slices.ContainsFunc(m.namespaces, func(n scenarios.Namespace) bool { return n.Name == ns.Name }) {
			m.namespaces = append(m.namespaces, scenarios.Namespace{Name: ns.Name, Labels: maps.Clone(ns.Labels)})
		}
	}
	for _, p := range w.Pods {
		i, ok := m.podAt[p.ID()]
		if !ok {
			i = len(m.pods)
			m.podAt[p.ID()] = i
			m.pods = append(m.pods, scenarios.Pod{Namespace: p.Namespace, Name: p.Name, Labels: maps.Clone(p.Labels), IP: p.IP})
		}
		m.pods[i].Ports = unionPorts(m.pods[i].Ports, p.Ports)
	}
	for _, h := range w.ExternalHosts {
		i := slices.IndexFunc(m.hosts, func(mh scenarios.ExternalHost) bool { return mh.Name == h.Name })
		if i < 0 {
			i = len(m.hosts)
			m.hosts = append(m.hosts, scenarios.ExternalHost{Name: h.Name, IP: h.IP})
		}
		m.hosts[i].Ports = unionPorts(m.hosts[i].Ports, h.Ports)
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

// serving is the world to set up for w: the model's namespaces, pods and
// hosts, with w's own labels on those that are w's; w itself when m is nil.
func (m *sharedModel) serving(w *scenarios.World) *scenarios.World {
	if m == nil {
		return w
	}
	out := &scenarios.World{
		Namespaces:      slices.Clone(m.namespaces),
		Pods:            slices.Clone(m.pods),
		ExternalHosts:   slices.Clone(m.hosts),
		Policies:        w.Policies,
		ClusterPolicies: w.ClusterPolicies,
	}
	for i := range out.Pods {
		out.Pods[i].Ports = slices.Clone(out.Pods[i].Ports)
	}
	for i := range out.ExternalHosts {
		out.ExternalHosts[i].Ports = slices.Clone(out.ExternalHosts[i].Ports)
	}
	return withLabelsOf(out, w)
}

// withLabelsOf is a copy of base, a cluster's world, after w ran on it: the
// namespaces and pods that w has carry w's labels, and the policies are w's.
// The rest keep theirs.
func withLabelsOf(base, w *scenarios.World) *scenarios.World {
	out := *base
	out.Namespaces = slices.Clone(base.Namespaces)
	for i, ns := range out.Namespaces {
		if j := slices.IndexFunc(w.Namespaces, func(n scenarios.Namespace) bool { return n.Name == ns.Name }); j >= 0 {
			out.Namespaces[i].Labels = maps.Clone(w.Namespaces[j].Labels)
		}
	}
	out.Pods = slices.Clone(base.Pods)
	for i, p := range out.Pods {
		if j := slices.IndexFunc(w.Pods, func(q scenarios.Pod) bool { return q.ID() == p.ID() }); j >= 0 {
			out.Pods[i].Labels = maps.Clone(w.Pods[j].Labels)
		}
	}
	out.Policies, out.ClusterPolicies = w.Policies, w.ClusterPolicies
	return &out
}
