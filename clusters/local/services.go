package local

import (
	"bytes"
	"fmt"
	"maps"
	"net/netip"
	"os/exec"
	"slices"
	"strings"
	"sync"

	"github.com/netpolcheck/netpolcheck/probes"
)

// ServiceCIDR holds the ClusterIPs of a local cluster with probes.TargetService among Options.Targets.
// 198.18.0.0/15 is set aside for benchmarking networks (RFC 2544) and routed
// nowhere: pods route it to their node, the only place it means anything, so
// a packet to it never leaves the machine either.
const ServiceCIDR = "198.18.0.0/15"

var serviceRange = netip.MustParsePrefix(ServiceCIDR)

// servicesTable is the nftables table of a node's Services.
const servicesTable = "netpolcheck_services"

// hairpinMark marks a pod's packets to its own Service for masquerade.
const hairpinMark = "0x4000"

// services are the ClusterIPs of one cluster, one per pod as the kube
// backend makes them, translated to the pod in the node namespace the way
// kube-proxy's nftables mode does: DNAT at PREROUTING, and masquerade for
// a pod that reaches itself (hairpin), whose answer would otherwise come
// from its own address.
type services struct {
	// mu guards vip, which the DNS answers of the cluster's probe servers
	// read from their own goroutines.
	mu   sync.RWMutex
	vip  map[string]netip.Addr // pod ID to ClusterIP
	next netip.Addr
}

func newServices() *services {
	return &services{vip: map[string]netip.Addr{}, next: serviceRange.Addr().Next()}
}

// sync gives every pod in ids a ClusterIP (kept for its lifetime, never
// reused) and forgets pods that are gone.
func (s *services) sync(ids []string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	keep := make(map[string]bool, len(ids))
	for _, id := range ids {
		keep[id] = true
		if _, ok := s.vip[id]; ok {
			continue
		}
		if !serviceRange.Contains(s.next) {
			return fmt.Errorf("service range %s has no addresses left", ServiceCIDR)
		}
		s.vip[id] = s.next
		s.next = s.next.Next()
	}
	for id := range s.vip {
		if !keep[id] {
			delete(s.vip, id)
		}
	}
	return nil
}

// ruleset renders the node's whole Services table, replacing the one in
// place in one transaction. podIP gives each pod's address.
func (s *services) ruleset(podIP map[string]string) string {
	s.mu.RLock()
	defer s.mu.RUnlock()
	var backends, hairpin []string
	for _, id := range slices.Sorted(maps.Keys(s.vip)) {
		ip, ok := podIP[id]
		if !ok {
			continue
		}
		backends = append(backends, fmt.Sprintf("%s : %s", s.vip[id], ip))
		hairpin = append(hairpin, fmt.Sprintf("%s . %s", s.vip[id], ip))
	}
	elements := func(list []string) string {
		if len(list) == 0 {
			return ""
		}
		return "elements = { " + strings.Join(list, ", ") + " }"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "table ip %s\ndelete table ip %s\n", servicesTable, servicesTable)
	fmt.Fprintf(&b, `table ip %s {
	map backends {
		type ipv4_addr : ipv4_addr
		%s
	}
	set hairpin {
		type ipv4_addr . ipv4_addr
		%s
	}
	chain prerouting {
		type nat hook prerouting priority dstnat; policy accept;
		ip daddr . ip saddr @hairpin meta mark set meta mark | %s
		dnat ip to ip daddr map @backends
	}
	chain postrouting {
		type nat hook postrouting priority srcnat; policy accept;
		meta mark & %s == %s masquerade
	}
}
`, servicesTable, elements(backends), elements(hairpin), hairpinMark, hairpinMark, hairpinMark)
	return b.String()
}

// syncServices gives the recorded pods their ClusterIPs and writes the
// node's table; a no-op without probes.TargetService.
func (c *Cluster) syncServices() error {
	if c.services == nil {
		return nil
	}
	podIP := map[string]string{}
	var ids []string
	for _, p := range c.ledger.w.Pods {
		podIP[p.ID()] = p.IP
		ids = append(ids, p.ID())
	}
	if err := c.services.sync(ids); err != nil {
		return err
	}
	return nftIn(c.nodeNS.path, c.services.ruleset(podIP))
}

// nftIn loads an nftables ruleset in the network namespace at path.
func nftIn(path, ruleset string) error {
	cmd := exec.Command("nsenter", "--net="+path, "nft", "-f", "-")
	cmd.Stdin = strings.NewReader(ruleset)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("services: nft in the node namespace (nftables and util-linux's nsenter; make deps installs them): %w: %s", err, strings.TrimSpace(out.String()))
	}
	return nil
}

// serviceJob turns the runner's job into the one the source sends: a job
// of probes.TargetService dials the destination pod's ClusterIP. Without
// one (no service target, or a destination that is not a pod) it says why
// the job cannot be carried, rather than dial the pod IP under the
// Service's name.
func (c *Cluster) serviceJob(j probes.Job) (probes.Job, string) {
	if j.Target.OrPod() == probes.TargetPod {
		return j, ""
	}
	if c.services == nil {
		return j, fmt.Sprintf("%s has no Service to dial (--target service not given)", j.To)
	}
	vip, ok := c.services.clusterIP(j.To)
	if !ok {
		return j, fmt.Sprintf("%s is not a pod: only pods have Services", j.To)
	}
	j.Host = vip.String()
	return j, ""
}

// clusterIP is the ClusterIP of the pod's Service.
func (s *services) clusterIP(pod string) (netip.Addr, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	vip, ok := s.vip[pod]
	return vip, ok
}

// answer is the cluster's DNS: the ClusterIP of the Service a name names
// (probes.ServiceDNSName of probes.ServiceNameOf the pod), as CoreDNS
// answers a Service's name.
func (s *services) answer(name string) (netip.Addr, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	for id, vip := range s.vip {
		ns, pod, _ := strings.Cut(id, "/")
		if probes.ServiceDNSName(probes.ServiceNameOf(pod), ns) == name {
			return vip, true
		}
	}
	return netip.Addr{}, false
}
