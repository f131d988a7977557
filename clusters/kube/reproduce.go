package kube

import (
	"strings"

	"github.com/netpolcheck/netpolcheck/probes"
)

// Reproduce returns the kubectl command that re-runs one job by hand from
// its source pod, with the address and identity the backend really uses,
// e.g. kubectl exec -n npc-1a2b3c-0-x a -- /probe connect --to 10.244.1.5
// --port 80 --protocol TCP --from x/a --expect y/b --timeout 1s. A job from
// an external host gets the provider's command, or none.
func (c *Cluster) Reproduce(job probes.Job) string {
	c.mu.RLock()
	defer c.mu.RUnlock()
	sent, skip := c.prepare(job)
	if skip != "" {
		return ""
	}
	lp, ok := c.pods[job.From]
	if !ok {
		if prober, ok := c.b.opts.ExternalHosts.(ExternalProber); ok {
			if h, ok := c.host(job.From); ok {
				return prober.ReproduceFrom(h, sent)
			}
		}
		return ""
	}
	args := append([]string{"kubectl"}, c.b.opts.KubectlArgs...)
	args = append(args, "exec", "-n", lp.namespace, lp.name, "-c", ContainerName, "--", probeBinary)
	args = append(args, probes.ConnectArgs(sent)...)
	for i, a := range args {
		args[i] = shellQuote(a)
	}
	return strings.Join(args, " ")
}

// shellQuote quotes an argument for a POSIX shell when it needs it.
func shellQuote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./:=@,+") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
