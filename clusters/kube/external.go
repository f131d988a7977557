package kube

import (
	"context"
	"fmt"
	"net/netip"
	"strings"

	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/netpolcheck/netpolcheck/probes"
	"github.com/netpolcheck/netpolcheck/scenarios"
)

// ExternalHosts emulates a scenario's external hosts beside the cluster, at
// the scenario's own addresses so that ipBlock peers match them; the kind
// backend implements it with containers on the kind network. Each host
// answers probes on its ports with its name as identity, or with the
// provider's Identity for it (SharedExternalHosts).
//
// Unless the provider shares hosts (SharedExternalHosts), the backend never
// has two live hosts on one address: a cluster whose hosts share an address
// with another live cluster's waits in Setup until that one is torn down.
// Implementations may thus key hosts by address. Add is all or nothing: a
// failed Add has removed what it started.
type ExternalHosts interface {
	// Add starts the hosts and returns once they answer.
	Add(ctx context.Context, hosts []scenarios.ExternalHost) error
	// Remove stops hosts that Add started; hosts it does not know are no error.
	Remove(ctx context.Context, hosts []scenarios.ExternalHost) error
}

// ExternalPlacer is implemented by ExternalHosts that cannot emulate every
// address (the kind backend refuses addresses inside the pod, service and
// node networks): Unplaceable says why a host cannot be emulated, or "".
// The cells of such a host are skipped with that reason; the scenario runs.
type ExternalPlacer interface {
	Unplaceable(h scenarios.ExternalHost) string
}

// SharedExternalHosts is implemented by providers that keep one host per
// address however many clusters put a host there (the kind backend): Add
// counts a user of each address and Remove ends one, the host serves every
// port its users asked for, and it answers with Identity, not with a
// scenario's name for it. Clusters then never wait for each other's
// addresses, and the runner need not run scenarios sharing one in a row.
type SharedExternalHosts interface {
	ExternalHosts
	Identity(h scenarios.ExternalHost) string
}

// ExternalProber is implemented by ExternalHosts that can also send probes
// from their hosts, which cells from an external host to a pod need; without
// it those cells are skipped.
type ExternalProber interface {
	// ProbeFrom runs the jobs from the host and returns a result per job in
	// the jobs' order, as probe connect --batch does.
	ProbeFrom(ctx context.Context, host scenarios.ExternalHost, jobs []probes.Job) ([]probes.Result, error)
	// ReproduceFrom is a command re-running one job from the host by hand.
	ReproduceFrom(host scenarios.ExternalHost, job probes.Job) string
}

// StaticHost is a probe server that already exists, reachable from pods at
// IP and answering with identity Name (probe serve --identity NAME --ports
// ...). It stands in for every scenario external host at the same address:
// ipBlock peers name literal addresses, so a host elsewhere would test other
// rules than the oracle's. It cannot send probes, so cells from it are skipped.
type StaticHost struct {
	Name string
	IP   string
}

// ParseStaticHost reads the NAME=IP form of --external-host.
func ParseStaticHost(s string) (StaticHost, error) {
	name, ip, ok := strings.Cut(s, "=")
	if !ok {
		return StaticHost{}, fmt.Errorf("external host %q is not NAME=IP", s)
	}
	h := StaticHost{Name: name, IP: ip}
	if err := checkStaticHosts([]StaticHost{h}); err != nil {
		return StaticHost{}, err
	}
	addr, _ := netip.ParseAddr(ip)
	h.IP = addr.String()
	return h, nil
}

// checkStaticHosts wants valid names and addresses, each address once.
func checkStaticHosts(hosts []StaticHost) error {
	seen := map[netip.Addr]string{}
	for _, h := range hosts {
		if msgs := validation.IsDNS1123Label(h.Name); len(msgs) > 0 {
			return fmt.Errorf("external host name %q: %s", h.Name, strings.Join(msgs, "; "))
		}
		addr, err := netip.ParseAddr(h.IP)
		if err != nil || addr.Zone() != "" {
			return fmt.Errorf("external host %s: invalid IP %q", h.Name, h.IP)
		}
		if other, ok := seen[addr]; ok {
			return fmt.Errorf("external hosts %s and %s have the same IP %s", other, h.Name, addr)
		}
		seen[addr] = h.Name
	}
	return nil
}

// host returns the external host of that name that the cluster added.
func (c *Cluster) host(name string) (scenarios.ExternalHost, bool) {
	for _, h := range c.hosts {
		if h.Name == name {
			return h, true
		}
	}
	return scenarios.ExternalHost{}, false
}

// staticHostAt returns the static host at ip, if any.
func staticHostAt(hosts []StaticHost, ip string) (StaticHost, bool) {
	want, err := netip.ParseAddr(ip)
	if err != nil {
		return StaticHost{}, false
	}
	for _, h := range hosts {
		if addr, err := netip.ParseAddr(h.IP); err == nil && addr == want {
			return h, true
		}
	}
	return StaticHost{}, false
}
