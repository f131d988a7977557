package kube

import (
	"context"
	"fmt"
	"strings"

	"github.com/netpolcheck/netpolcheck/probes"
	"github.com/netpolcheck/netpolcheck/scenarios"
)

// The SCTP check's world: a server pod serving sctpCheckPort/SCTP and a
// client pod, in a namespace of their own.
const (
	sctpCheckNamespace = "sctp-check"
	sctpCheckPort      = 9
)

// checkSCTP answers SCTPAuto: it starts a server and a client probe pod and
// sends one SCTP probe between them with no policy in force. SCTP counts as
// available only if that probe is allowed: on a node whose kernel lacks SCTP
// the server cannot even start, and a CNI that drops SCTP blocks the probe.
func (b *Backend) checkSCTP(ctx context.Context) (ok bool, reason string, err error) {
	c, err := b.newCluster(sctpCheckNamespace, true)
	if err != nil {
		return false, "", fmt.Errorf("SCTP check: %w", err)
	}
	defer func() {
		if terr := c.Teardown(context.WithoutCancel(ctx)); terr != nil && err == nil {
			err = fmt.Errorf("SCTP check: %w", terr)
		}
	}()
	server := scenarios.Pod{Namespace: sctpCheckNamespace, Name: "server", Ports: []scenarios.Port{{Port: sctpCheckPort, Protocol: scenarios.SCTP}}}
	client := scenarios.Pod{Namespace: sctpCheckNamespace, Name: "client"}
	addrs, err := c.Setup(ctx, &scenarios.World{
		Namespaces: []scenarios.Namespace{{Name: sctpCheckNamespace}},
		Pods:       []scenarios.Pod{server, client},
	})
	if err != nil {
		if ctx.Err() != nil {
			return false, "", fmt.Errorf("SCTP check: %w", ctx.Err())
		}
		return false, "the SCTP check (--sctp auto) could not start its pods: " + firstLine(err.Error()), nil
	}
	results, err := c.Probe(ctx, []probes.Job{{
		From: client.ID(), To: server.ID(), Host: addrs[server.ID()],
		Port: sctpCheckPort, Protocol: probes.SCTP, Expect: server.ID(),
	}})
	if err != nil {
		return false, "", fmt.Errorf("SCTP check: %w", err)
	}
	if r := results[0]; r.Outcome != probes.Allowed {
		return false, fmt.Sprintf("the SCTP check (--sctp auto) found SCTP between two pods %s: %s", r.Outcome, r.Detail), nil
	}
	return true, "", nil
}

func firstLine(s string) string {
	first, rest, _ := strings.Cut(s, "\n")
	if rest = strings.TrimSpace(rest); rest != "" {
		return first + " " + strings.Join(strings.Fields(rest), " ")
	}
	return first
}
