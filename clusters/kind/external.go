package kind

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/netip"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/netpolcheck/netpolcheck/clusters/kind/internal/run"
	"github.com/netpolcheck/netpolcheck/probes"
	"github.com/netpolcheck/netpolcheck/scenarios"
)

// externalLabel marks external host containers with their cluster's name.
const externalLabel = "dev.netpolcheck.kind.external"

// externalHost is one emulated host outside the cluster: one container per
// address, shared by every scenario that puts a host there.
type externalHost struct {
	container string
	ip        string
	// via is the container's own address on the nodes' network: the next hop
	// the nodes route the host's address to.
	via string
	// users counts the Adds not yet matched by a Remove; served are the ports
	// its probe servers answer on, as port.String().
	users  int
	served map[string]bool
}

// Scenarios running side by side often put hosts on one address under
// different names (the upstream suite's "outside", the seeds' "elsewhere").
// Giving each its own container made them wait for each other: on kind the
// built-in library's 14 scenarios at 198.51.100.10 ran one after another
// in one lane for longer than the rest of the run. An ipBlock peer names an
// address, not a name, so one container per address stands for all of
// them: it answers with an identity of its address (ExternalIdentity) on
// the union of the ports its users asked for, and stays until the last
// user removes it. A port served for one user and not another answers
// nobody's cell: a scenario probes only its own hosts' ports.

// ExternalIdentity is what the external host at ip answers probes with.
func ExternalIdentity(ip string) string { return "external-" + strings.ReplaceAll(ip, ".", "-") }

// AddExternalHost makes h's address answer probes on h's ports, the stand-in
// for a host outside the cluster that ipBlock peers select. The first user
// of an address starts a container running the probe image (LoadImages must
// have loaded it) on the nodes' docker network, holding the address besides
// its own and routing only to the nodes' pod ranges: it has no default
// route, so it can reach nothing but the cluster. Every node routes the
// address to it. A later user adds the ports it lacks, and only counts
// otherwise. Each successful call must be matched by one RemoveExternalHost.
//
// The address must lie outside the pod, service and node networks. It is
// set from the host through the container's network namespace, so docker
// must run on this machine and the caller must be root.
func (c *Cluster) AddExternalHost(ctx context.Context, h scenarios.ExternalHost) error {
	addr, err := c.checkExternalAddress(h.IP)
	if err != nil {
		return fmt.Errorf("external host %s: %w", h.Name, err)
	}
	if len(h.Ports) == 0 {
		return fmt.Errorf("external host %s: no ports to serve", h.Name)
	}
	ip := addr.String()
	unlock := c.lockAddress(ip)
	defer unlock()
	c.mu.Lock()
	host, exists := c.external[ip]
	c.mu.Unlock()
	if !exists {
		host = &externalHost{container: externalContainerName(c.name, ip), ip: ip, served: map[string]bool{}}
		if err := c.startExternal(ctx, host, h.Ports); err != nil {
			// docker run killed by ctx may still have made the container.
			c.unwireExternal(context.WithoutCancel(ctx), host)
			return fmt.Errorf("external host %s: %w", h.Name, err)
		}
	} else if err := c.serveMore(ctx, host, h.Ports); err != nil {
		return fmt.Errorf("external host %s: %w", h.Name, err)
	}
	host.users++
	c.mu.Lock()
	c.external[ip] = host
	c.mu.Unlock()
	return nil
}

// RemoveExternalHost ends one AddExternalHost of h's address; the last one
// removes the container and the nodes' routes to it.
func (c *Cluster) RemoveExternalHost(ctx context.Context, h scenarios.ExternalHost) error {
	ip := addressKey(h.IP)
	unlock := c.lockAddress(ip)
	defer unlock()
	c.mu.Lock()
	host, ok := c.external[ip]
	if ok {
		if host.users--; host.users <= 0 {
			delete(c.external, ip)
		}
	}
	c.mu.Unlock()
	if !ok {
		return fmt.Errorf("external host %s: not added", h.Name)
	}
	if host.users > 0 {
		return nil
	}
	if err := c.unwireExternal(ctx, host); err != nil {
		return fmt.Errorf("external host %s: %w", h.Name, err)
	}
	return nil
}

// addressKey is how the hosts are keyed: the address in its canonical
// form, so that spellings of one address meet.
func addressKey(ip string) string {
	if addr, err := netip.ParseAddr(ip); err == nil {
		return addr.String()
	}
	return ip
}

// lockAddress serialises the adding and removing of one address: its
// container is started, extended and removed by one caller at a time.
func (c *Cluster) lockAddress(ip string) func() {
	c.mu.Lock()
	if c.addressLocks == nil {
		c.addressLocks = map[string]*sync.Mutex{}
	}
	l, ok := c.addressLocks[ip]
	if !ok {
		l = &sync.Mutex{}
		c.addressLocks[ip] = l
	}
	c.mu.Unlock()
	l.Lock()
	return l.Unlock
}

// checkExternalAddress refuses addresses the cluster already uses and those
// no host can have.
func (c *Cluster) checkExternalAddress(ip string) (netip.Addr, error) {
	addr, err := netip.ParseAddr(ip)
	if err != nil || !addr.Is4() {
		return netip.Addr{}, fmt.Errorf("%q is not an IPv4 address", ip)
	}
	if addr.IsLoopback() || addr.IsMulticast() || addr.IsUnspecified() || addr == netip.AddrFrom4([4]byte{255, 255, 255, 255}) {
		return netip.Addr{}, fmt.Errorf("%s cannot be a host's address", addr)
	}
	for _, r := range [][2]string{{"pod subnet", c.opts.PodSubnet}, {"service subnet", c.opts.ServiceSubnet}, {"node network", c.networkSubnet}} {
		if p, err := netip.ParsePrefix(r[1]); err == nil && p.Contains(addr) {
			return netip.Addr{}, fmt.Errorf("%s is inside the %s %s", addr, r[0], r[1])
		}
	}
	return addr, nil
}

// startExternal runs the container, wires its address and waits for its
// server. Binding ports below 1024 needs no privilege inside it: the probe
// runs as nobody with the unprivileged port range opened, and with no
// capabilities at all.
func (c *Cluster) startExternal(ctx context.Context, h *externalHost, ports []scenarios.Port) error {
	// The name is this cluster's and this address's alone, and no user holds
	// it, so a container that has it already is a leftover of a run that was
	// killed before its teardown: it would make every later run of the host fail.
	if err := c.removeLeftover(ctx, h.container); err != nil {
		return err
	}
	_, err := run.Docker(ctx, c.opts.Log, append([]string{"run", "--detach", "--name", h.container,
		"--network", c.opts.Network,
		"--label", externalLabel + "=" + c.name,
		"--cap-drop", "ALL",
		"--sysctl", "net.ipv4.ip_unprivileged_port_start=0",
		c.opts.ProbeImage}, serveArgs(h.ip, ports)...)...)
	if err != nil {
		return err
	}
	if err := c.wireExternal(ctx, h); err != nil {
		return err
	}
	if err := waitAnswering(ctx, h, ports[0]); err != nil {
		return err
	}
	markServed(h, ports)
	return nil
}

// serveMore starts a second probe server in a running host's container for
// the ports it does not serve yet, and waits for it.
func (c *Cluster) serveMore(ctx context.Context, h *externalHost, ports []scenarios.Port) error {
	var missing []scenarios.Port
	for _, p := range ports {
		if !h.served[p.String()] {
			missing = append(missing, p)
		}
	}
	if len(missing) == 0 {
		return nil
	}
	args := append([]string{"exec", "--detach", h.container, probeBinary}, serveArgs(h.ip, missing)...)
	if _, err := run.Docker(ctx, c.opts.Log, args...); err != nil {
		return err
	}
	if err := waitAnswering(ctx, h, missing[0]); err != nil {
		return err
	}
	markServed(h, missing)
	return nil
}

// serveArgs is the image's command serving ports as the host at ip: the
// probe image's entry point is the probe binary itself.
func serveArgs(ip string, ports []scenarios.Port) []string {
	spec := make([]string, len(ports))
	for i, p := range ports {
		spec[i] = p.String()
	}
	return []string{"serve", "--identity", ExternalIdentity(ip), "--ports", strings.Join(spec, ",")}
}

func markServed(h *externalHost, ports []scenarios.Port) {
	for _, p := range ports {
		h.served[p.String()] = true
	}
}

// removeLeftover removes the container of that name if it carries this
// cluster's external-host label, and refuses to touch one that does not.
func (c *Cluster) removeLeftover(ctx context.Context, container string) error {
	label, err := run.Docker(ctx, nil, "inspect", "--format", `{{index .Config.Labels "`+externalLabel+`"}}`, container)
	if err != nil {
		return nil // no such container: the usual case
	}
	if label != c.name {
		return fmt.Errorf("container %s exists and is not an external host of kind cluster %s (label %q); remove it by hand", container, c.name, label)
	}
	if _, err := run.Docker(ctx, c.opts.Log, "rm", "--force", "--volumes", container); err != nil {
		return fmt.Errorf("remove the leftover container %s: %w", container, err)
	}
	return nil
}

// wireExternal gives the container its address and routes, then points every
// node at it.
func (c *Cluster) wireExternal(ctx context.Context, h *externalHost) error {
	info, err := run.Docker(ctx, nil, "inspect", "--format",
		`{{.State.Pid}} {{(index .NetworkSettings.Networks "`+c.opts.Network+`").IPAddress}}`, h.container)
	if err != nil {
		return err
	}
	var pid int
	if _, err := fmt.Sscanf(info, "%d %s", &pid, &h.via); err != nil || pid == 0 {
		return fmt.Errorf("container %s: no process or address in %q", h.container, info)
	}
	routes := make([]netip.Prefix, 0, len(c.nodes))
	hops := make([]netip.Addr, 0, len(c.nodes))
	for _, n := range c.nodes {
		p, err := netip.ParsePrefix(n.podCIDR)
		if err != nil {
			return fmt.Errorf("pod CIDR of %s: %w", n.node, err)
		}
		hop, err := netip.ParseAddr(n.ip)
		if err != nil {
			return fmt.Errorf("address of %s: %w", n.node, err)
		}
		routes, hops = append(routes, p), append(hops, hop)
	}
	if err := configureExternalNetns(pid, netip.MustParseAddr(h.ip), routes, hops); err != nil {
		return fmt.Errorf("container %s: %w", h.container, err)
	}
	for _, n := range c.nodes {
		if err := n.node.CommandContext(ctx, "ip", "route", "replace", h.ip+"/32", "via", h.via).Run(); err != nil {
			return fmt.Errorf("route on %s: %w", n.node, err)
		}
	}
	return c.exemptFromMasquerade(ctx, h.ip)
}

// answerTimeout bounds the wait for a new external host's probe server.
const answerTimeout = 30 * time.Second

// waitAnswering probes the host from inside its own container until its
// server answers on port: the container runs before the server has bound.
func waitAnswering(ctx context.Context, h *externalHost, port scenarios.Port) error {
	ctx, cancel := context.WithTimeout(ctx, answerTimeout)
	defer cancel()
	job := probes.Job{Host: h.ip, Port: port.Port, Protocol: string(port.Protocol), Expect: ExternalIdentity(h.ip), Timeout: time.Second}
	args := append([]string{"exec", h.container, probeBinary}, probes.ConnectArgs(job)...)
	for {
		_, err := run.Docker(ctx, nil, args...)
		if err == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("no answer on %s within %s: %w", port, answerTimeout, err)
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// unwireExternal removes the nodes' routes and the container; it goes on
// after a failure so that as much as possible is cleaned.
func (c *Cluster) unwireExternal(ctx context.Context, h *externalHost) error {
	first := c.unexemptFromMasquerade(ctx, h.ip)
	for _, n := range c.nodes {
		var out strings.Builder
		// Only a route still pointing at this host is ours to delete.
		if err := n.node.CommandContext(ctx, "ip", "route", "show", h.ip+"/32").SetStdout(&out).Run(); err != nil {
			if first == nil {
				first = fmt.Errorf("routes of %s: %w", n.node, err)
			}
			continue
		}
		if h.via == "" || !strings.Contains(out.String(), "via "+h.via+" ") {
			continue
		}
		if err := n.node.CommandContext(ctx, "ip", "route", "del", h.ip+"/32").Run(); err != nil && first == nil {
			first = fmt.Errorf("route on %s: %w", n.node, err)
		}
	}
	if _, err := run.Docker(ctx, c.opts.Log, "rm", "--force", "--volumes", h.container); err != nil && first == nil {
		first = err
	}
	return first
}

// containerNameUnsafe matches what docker refuses in a container name.
var containerNameUnsafe = regexp.MustCompile(`[^a-zA-Z0-9_.-]`)

// externalContainerName is readable and unique per cluster and host
// address: the address with docker's forbidden characters replaced (none in
// an IPv4 address), plus a short hash of the original so that no two meet.
func externalContainerName(cluster, host string) string {
	sum := sha256.Sum256([]byte(host))
	return cluster + "-ext-" + containerNameUnsafe.ReplaceAllString(host, "_") + "-" + hex.EncodeToString(sum[:3])
}
