package e2e

import (
	"context"
	"fmt"
	"strings"
	"testing"

	. "github.com/onsi/gomega"
	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
	"sigs.k8s.io/e2e-framework/pkg/envconf"
	"sigs.k8s.io/e2e-framework/pkg/features"
	"sigs.k8s.io/e2e-framework/pkg/types"

	"github.com/netpolcheck/netpolcheck/clusters/kind"
	"github.com/netpolcheck/netpolcheck/clusters/kind/internal/run"
	"github.com/netpolcheck/netpolcheck/probes"
	"github.com/netpolcheck/netpolcheck/scenarios"
)

// partner is the external host of the feature, at an address of a
// documentation range: it exists only as our container.
var partner = scenarios.ExternalHost{Name: "partner", IP: "203.0.113.10",
	Ports: []scenarios.Port{{Port: 443, Protocol: scenarios.TCP}, {Port: 53, Protocol: scenarios.UDP}}}

// sameAddress is another scenario's host at partner's address, under
// another name and with a port partner lacks: the two share one container.
var sameAddress = scenarios.ExternalHost{Name: "outside", IP: partner.IP,
	Ports: []scenarios.Port{{Port: 443, Protocol: scenarios.TCP}, {Port: 8443, Protocol: scenarios.TCP}}}

// externalHostsFeature checks the hosts outside the cluster that ipBlock
// scenarios reach.
func externalHostsFeature() types.Feature {
	return features.New("external hosts").
		Assess("an added host answers", assessAddHost).
		Assess("a pod reaches the host over TCP and UDP", assessPodToHost).
		Assess("the host reaches the server with its own address", assessHostToPod).
		Assess("the host routes nowhere but to the pods", assessHostIsolated).
		Assess("a second host at the address shares the container and adds its port", assessSharedAddress).
		Assess("a removed host is gone", assessRemoveHost).
		Teardown(func(ctx context.Context, t *testing.T, _ *envconf.Config) context.Context {
			// After a failed assessment, the host must not outlive the feature.
			NewWithT(t).Expect(clusterOf(t, ctx).ExternalHosts().Remove(ctx, []scenarios.ExternalHost{partner})).To(Succeed())
			return ctx
		}).
		Feature()
}

func assessAddHost(ctx context.Context, t *testing.T, _ *envconf.Config) context.Context {
	NewWithT(t).Expect(clusterOf(t, ctx).ExternalHosts().Add(ctx, []scenarios.ExternalHost{partner})).To(Succeed())
	return ctx
}

func assessPodToHost(ctx context.Context, t *testing.T, cfg *envconf.Config) context.Context {
	g := NewWithT(t)
	client := podsOf(t, ctx).client
	for _, port := range partner.Ports {
		code, out, err := connect(ctx, cfg, client, partner.IP, port.Port, string(port.Protocol), kind.ExternalIdentity(partner.IP))
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(code).To(Equal(exitAllowed), "%s from %s to the external host:\n%s", port, client.Name, out)
	}
	return ctx
}

// hostJobs are the cells from the external host to the server.
func hostJobs(ctx context.Context, t *testing.T) []probes.Job {
	server := podsOf(t, ctx).server
	var jobs []probes.Job
	for _, proto := range []string{"TCP", "UDP"} {
		jobs = append(jobs, probes.Job{From: partner.Name, To: namespace + "/server", Host: server.Status.PodIP, Port: probePort,
			Protocol: proto, Expect: namespace + "/server", Timeout: probeTimeout})
	}
	return jobs
}

func assessHostToPod(ctx context.Context, t *testing.T, _ *envconf.Config) context.Context {
	g := NewWithT(t)
	server := podsOf(t, ctx).server
	jobs := hostJobs(ctx, t)
	results, err := clusterOf(t, ctx).ExternalHosts().ProbeFrom(ctx, partner, jobs)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(results).To(HaveLen(len(jobs)))
	for i, r := range results {
		g.Expect(r.Job).To(Equal(jobs[i]))
		g.Expect(r.Outcome).To(Equal(probes.Allowed), "%s from the external host to the server: %s", r.Job.Protocol, r.Detail)
	}
	saw, err := sawSource(ctx, server, partner.IP)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(saw).To(BeTrue(), "node %s tracked no connection from %s to the server", server.Spec.NodeName, partner.IP)
	return ctx
}

// assessHostIsolated: the host's container has no default route, and the
// command that reproduces a cell runs in that very container.
func assessHostIsolated(ctx context.Context, t *testing.T, _ *envconf.Config) context.Context {
	g := NewWithT(t)
	names, err := run.Docker(ctx, nil, "ps", "--filter", "label="+externalHostLabel+"="+clusterName, "--format", "{{.Names}}")
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(strings.Fields(names)).To(HaveLen(1), "external host containers of %s: %q", clusterName, names)
	container := strings.TrimSpace(names)
	server := podsOf(t, ctx).server
	g.Expect(clusterOf(t, ctx).ExternalHosts().ReproduceFrom(partner, hostJobs(ctx, t)[0])).To(Equal(
		"docker exec " + container + " /probe connect --to " + server.Status.PodIP +
			" --port 8080 --protocol TCP --from partner --expect npc-suite/server --timeout 2s"))
	defaults, err := defaultRoutes(ctx, container)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(defaults).To(BeZero(), "default routes in the external host's container")
	return ctx
}

// assessSharedAddress: a second user of the address gets its extra port on
// the same container, and the host outlives the first Remove.
func assessSharedAddress(ctx context.Context, t *testing.T, cfg *envconf.Config) context.Context {
	g := NewWithT(t)
	c := clusterOf(t, ctx)
	client := podsOf(t, ctx).client
	g.Expect(c.ExternalHosts().Add(ctx, []scenarios.ExternalHost{sameAddress})).To(Succeed())
	names, err := run.Docker(ctx, nil, "ps", "--filter", "label="+externalHostLabel+"="+clusterName, "--format", "{{.Names}}")
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(strings.Fields(names)).To(HaveLen(1), "external host containers of %s: %q", clusterName, names)
	code, out, err := connect(ctx, cfg, client, partner.IP, 8443, "TCP", kind.ExternalIdentity(partner.IP))
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(code).To(Equal(exitAllowed), "the second host's own port:\n%s", out)
	g.Expect(c.ExternalHosts().Remove(ctx, []scenarios.ExternalHost{sameAddress})).To(Succeed())
	code, out, err = connect(ctx, cfg, client, partner.IP, 443, "TCP", kind.ExternalIdentity(partner.IP))
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(code).To(Equal(exitAllowed), "the first host after the second's Remove:\n%s", out)
	return ctx
}

func assessRemoveHost(ctx context.Context, t *testing.T, cfg *envconf.Config) context.Context {
	g := NewWithT(t)
	c := clusterOf(t, ctx)
	g.Expect(c.ExternalHosts().Remove(ctx, []scenarios.ExternalHost{partner})).To(Succeed())
	code, out, err := connect(ctx, cfg, podsOf(t, ctx).client, partner.IP, 443, "TCP", kind.ExternalIdentity(partner.IP))
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(code).NotTo(Equal(exitAllowed), "the external host still answers after Remove:\n%s", out)
	g.Expect(c.ExternalHosts().Remove(ctx, []scenarios.ExternalHost{partner})).To(Succeed(), "removing a removed host")
	g.Expect(c.RemoveExternalHost(ctx, partner)).To(MatchError("external host partner: not added"))
	return ctx
}

// defaultRoutes counts the IPv4 default routes in a container's network
// namespace; the probe image has no ip command to ask from inside.
func defaultRoutes(ctx context.Context, container string) (int, error) {
	out, err := run.Docker(ctx, nil, "inspect", "--format", "{{.State.Pid}}", container)
	if err != nil {
		return 0, err
	}
	var pid int
	if _, err := fmt.Sscan(out, &pid); err != nil || pid == 0 {
		return 0, fmt.Errorf("container %s: no process in %q", container, out)
	}
	ns, err := netns.GetFromPid(pid)
	if err != nil {
		return 0, fmt.Errorf("network namespace of %s: %w", container, err)
	}
	defer ns.Close()
	h, err := netlink.NewHandleAt(ns)
	if err != nil {
		return 0, fmt.Errorf("network namespace of %s: %w", container, err)
	}
	defer h.Close()
	routes, err := h.RouteList(nil, netlink.FAMILY_V4)
	if err != nil {
		return 0, fmt.Errorf("routes of %s: %w", container, err)
	}
	n := 0
	for _, r := range routes {
		if r.Dst == nil || r.Dst.IP.IsUnspecified() {
			n++
		}
	}
	return n, nil
}
