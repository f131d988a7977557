package kind

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/netip"
	"regexp"
	"strings"
	"time"

	"github.com/netpolcheck/netpolcheck/clusters/kind/internal/run"
	"github.com/netpolcheck/netpolcheck/probes"
	"github.com/netpolcheck/netpolcheck/scenarios"
)

// externalLabel marks external host containers with their cluster's name.
const externalLabel = "dev.netpolcheck.kind.external"

// externalHost is one emulated host outside the cluster.
type externalHost struct {
	container string
	ip        string
	// via is the container's own address on the nodes' network: the next hop
	// the nodes route the host's address to.
	via string
}

// AddExternalHost starts a container that answers probes as name on ip, the
// stand-in for a host outside the cluster that ipBlock peers select. It runs
// the probe image (LoadImages must have loaded it) on the nodes' docker
// network, holds ip besides its own address, and routes only to the nodes'
// pod ranges: it has no default route, so it can reach nothing but the
// cluster. Every node routes ip to it.
//
// ip must lie outside the pod, service and node networks. The addresses are
// set from the host through the container's network namespace, so docker
// must run on this machine and the caller must be root.
func (c *Cluster) AddExternalHost(ctx context.Context, name, ip string, ports []scenarios.Port) error {
	addr, err := c.checkExternalAddress(ip)
	if err != nil {
		return fmt.Errorf("external host %s: %w", name, err)
	}
	if len(ports) == 0 {
		return fmt.Errorf("external host %s: no ports to serve", name)
	}
	c.mu.Lock()
	_, exists := c.external[name]
	c.mu.Unlock()
	if exists {
		return fmt.Errorf("external host %s: already added", name)
	}
	h := externalHost{container: externalContainerName(c.name, name), ip: addr.String()}
	if err := c.startExternal(ctx, name, h, ports); err != nil {
		// docker run killed by ctx may still have made the container.
		c.unwireExternal(context.WithoutCancel(ctx), h)
		return fmt.Errorf("external host %s: %w", name, err)
	}
	if err := c.wireExternal(ctx, &h); err != nil {
		c.unwireExternal(context.Background(), h)
		return fmt.Errorf("external host %s: %w", name, err)
	}
	if err := waitAnswering(ctx, h, name, ports[0]); err != nil {
		c.unwireExternal(context.Background(), h)
		return fmt.Errorf("external host %s: %w", name, err)
	}
	c.mu.Lock()
	c.external[name] = h
	c.mu.Unlock()
	return nil
}

// RemoveExternalHost removes the host's container and the nodes' routes to it.
func (c *Cluster) RemoveExternalHost(ctx context.Context, name string) error {
	c.mu.Lock()
	h, ok := c.external[name]
	delete(c.external, name)
	c.mu.Unlock()
	if !ok {
		return fmt.Errorf("external host %s: not added", name)
	}
	if err := c.unwireExternal(ctx, h); err != nil {
		return fmt.Errorf("external host %s: %w", name, err)
	}
	return nil
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

// startExternal runs the container. Binding ports below 1024 needs no
// privilege inside it: the probe runs as nobody with the unprivileged port
// range opened, and with no capabilities at all.
func (c *Cluster) startExternal(ctx context.Context, name string, h externalHost, ports []scenarios.Port) error {
	spec := make([]string, len(ports))
	for i, p := range ports {
		spec[i] = p.String()
	}
	// The name is this cluster's and this host's alone, so a container that
	// has it already is a leftover of a run that was killed before its
	// teardown: it would make every later run of the host fail.
	if err := c.removeLeftover(ctx, h.container); err != nil {
		return err
	}
	_, err := run.Docker(ctx, c.opts.Log, "run", "--detach", "--name", h.container,
		"--network", c.opts.Network,
		"--label", externalLabel+"="+c.name,
		"--cap-drop", "ALL",
		"--sysctl", "net.ipv4.ip_unprivileged_port_start=0",
		c.opts.ProbeImage, "serve", "--identity", name, "--ports", strings.Join(spec, ","))
	return err
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
func waitAnswering(ctx context.Context, h externalHost, name string, port scenarios.Port) error {
	ctx, cancel := context.WithTimeout(ctx, answerTimeout)
	defer cancel()
	job := probes.Job{Host: h.ip, Port: port.Port, Protocol: string(port.Protocol), Expect: name, Timeout: time.Second}
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
func (c *Cluster) unwireExternal(ctx context.Context, h externalHost) error {
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

// externalContainerName is readable and unique per cluster and host: the
// host's name with docker's forbidden characters replaced, plus a short hash
// of the original so that "a/b" and "a_b" do not meet.
func externalContainerName(cluster, host string) string {
	sum := sha256.Sum256([]byte(host))
	return cluster + "-ext-" + containerNameUnsafe.ReplaceAllString(host, "_") + "-" + hex.EncodeToString(sum[:3])
}
