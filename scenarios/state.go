package scenarios

import (
	"cmp"
	"fmt"
	"maps"
	"net/netip"
	"slices"

	networkingv1 "k8s.io/api/networking/v1"
	npav1alpha2 "sigs.k8s.io/network-policy-api/apis/v1alpha2"
)

// State follows a scenario through its steps. Deterministic addressing: pods get
// addresses from Model.PodCIDR (default DefaultPodCIDR; manifests choose a
// range free of their pods' own addresses): namespace i (model order;
// namespaces created by steps continue the count) starts in the /24 at index i
// (192.168.<i>.0/24), its pods .10, .11, ... in creation order, then goes on in
// the overflow at the top of the range; no address is handed out twice within
// a scenario. A PodSpec.IP pins the address, anywhere in IPv4.
//
// Resolve turns an Action into a Change without touching the State; Commit
// applies it. The runner puts the cluster's Apply between the two.
type State struct {
	podCIDR      netip.Prefix
	defaultPorts []Port
	namespaces   []Namespace
	pods         []Pod
	external     []ExternalHost
	policies     map[string]*networkingv1.NetworkPolicy
	// clusterPolicies holds the cluster policies in their tier's form, by key ("Kind/name").
	clusterPolicies map[string]*npav1alpha2.ClusterNetworkPolicy

	// subnet is the /24 index of each live namespace; nextSubnet the index
	// the next created namespace gets.
	subnet     map[string]int
	nextSubnet int
	// nextHost is, per /24 index, the lowest host number not yet handed out.
	nextHost map[int]int
	// reserved holds every pinned pod IP of the scenario, so that no planned
	// address takes one that a later step pins.
	reserved map[netip.Addr]bool
	// handedOut holds every address any pod has had, never planned again;
	// overflow is the next position of the overflow (see planAddress).
	handedOut map[netip.Addr]bool
	overflow  int
	// podIDs and ipUser index the live pods by "ns/pod" and by address.
	podIDs map[string]bool
	ipUser map[netip.Addr]string
}

// NewState validates a scenario's model and builds its starting world.
func NewState(s *Scenario) (*State, error) {
	if s == nil {
		return nil, Errors{fieldErr("", "no scenario given")}
	}
	reserved := pinnedAddresses(s)
	cidrText := s.Model.PodCIDR
	if cidrText == "" {
		cidrText = DefaultPodCIDR
	}
	podCIDR, msg := parsePodCIDR(cidrText)
	if msg != "" {
		return nil, Errors{fieldErr("model.podCIDR", msg)}
	}
	st := &State{
		podCIDR:         podCIDR,
		policies:        map[string]*networkingv1.NetworkPolicy{},
		clusterPolicies: map[string]*npav1alpha2.ClusterNetworkPolicy{},
		subnet:          map[string]int{},
		nextHost:        map[int]int{},
		reserved:        reserved,
		handedOut:       map[netip.Addr]bool{},
		podIDs:          map[string]bool{},
		ipUser:          map[netip.Addr]string{},
	}
	defaults, errs := checkPorts(s.Model.DefaultPorts, "model.defaultPorts")
	st.defaultPorts = defaults
	errs = append(errs, st.addExternalHosts(s.Model.ExternalHosts)...)
	for i, ns := range s.Model.Namespaces {
		at := indexPath("model.namespaces", i)
		// The /24 index is the model position, whether or not the entry is valid,
		// so that one bad namespace does not shift every later address.
		st.nextSubnet = i + 1
		if msg := nameProblem(ns.Name, false); msg != "" {
			errs = append(errs, fieldErr(joinPath(at, "name"), msg))
			continue
		}
		if st.namespaceIndex(ns.Name) >= 0 {
			errs = append(errs, fieldErr(joinPath(at, "name"), fmt.Sprintf("duplicate namespace %q", ns.Name)))
			continue
		}
		labels, lerrs := namespaceLabels(ns.Name, ns.Labels, joinPath(at, "labels"))
		errs = append(errs, lerrs...)
		st.namespaces = append(st.namespaces, Namespace{Name: ns.Name, Labels: labels})
		st.subnet[ns.Name] = i
		for k, spec := range ns.Pods {
			pat := indexPath(joinPath(at, "pods"), k)
			if st.podIDs[ns.Name+"/"+spec.Name] {
				errs = append(errs, fieldErr(joinPath(pat, "name"), fmt.Sprintf("duplicate pod %q", ns.Name+"/"+spec.Name)))
				continue
			}
			pod, perrs := st.planPod(ns.Name, spec, pat)
			if len(perrs) > 0 {
				errs = append(errs, perrs...)
				continue
			}
			st.addPod(pod)
		}
	}
	if len(errs) > 0 {
		return nil, errs
	}
	return st, nil
}

// World returns a deep copy of the current world, policies sorted by namespace then name.
func (st *State) World() *World {
	w := &World{
		Namespaces: make([]Namespace, len(st.namespaces)),
		Pods:       make([]Pod, len(st.pods)),
	}
	for i, ns := range st.namespaces {
		w.Namespaces[i] = Namespace{Name: ns.Name, Labels: maps.Clone(ns.Labels)}
	}
	for i, p := range st.pods {
		w.Pods[i] = clonePod(p)
	}
	for _, h := range st.external {
		w.ExternalHosts = append(w.ExternalHosts, ExternalHost{Name: h.Name, IP: h.IP, Ports: slices.Clone(h.Ports)})
	}
	for _, p := range st.policies {
		w.Policies = append(w.Policies, p.DeepCopy())
	}
	slices.SortFunc(w.Policies, func(a, b *networkingv1.NetworkPolicy) int {
		return cmp.Or(cmp.Compare(a.Namespace, b.Namespace), cmp.Compare(a.Name, b.Name))
	})
	for _, key := range sortedKeys(st.clusterPolicies) {
		w.ClusterPolicies = append(w.ClusterPolicies, st.clusterPolicies[key].DeepCopy())
	}
	return w
}

// SetAddresses records the addresses a backend actually gave pods ("ns/pod"
// → IP), so that later placeholders expand to them. Unknown pods are ignored:
// a backend may report pods of other scenarios sharing its cluster.
func (st *State) SetAddresses(a map[string]string) {
	for i := range st.pods {
		if ip, ok := a[st.pods[i].ID()]; ok {
			if old, err := netip.ParseAddr(st.pods[i].IP); err == nil && st.ipUser[old] == st.pods[i].ID() {
				delete(st.ipUser, old)
			}
			st.pods[i].IP = ip
			if addr, err := netip.ParseAddr(ip); err == nil {
				st.ipUser[addr] = st.pods[i].ID()
				st.handedOut[addr] = true
			}
		}
	}
}

func clonePod(p Pod) Pod {
	p.Labels = maps.Clone(p.Labels)
	p.Ports = slices.Clone(p.Ports)
	return p
}

func (st *State) namespaceIndex(name string) int {
	return slices.IndexFunc(st.namespaces, func(ns Namespace) bool { return ns.Name == name })
}

func (st *State) podIndex(id string) int {
	if !st.podIDs[id] {
		return -1
	}
	return slices.IndexFunc(st.pods, func(p Pod) bool { return p.ID() == id })
}

// ipOf answers placeholders with the pods' current addresses.
func (st *State) ipOf(id string) (string, bool) {
	if i := st.podIndex(id); i >= 0 {
		return st.pods[i].IP, true
	}
	return "", false
}
