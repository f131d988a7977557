package kind

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"strings"

	"github.com/netpolcheck/netpolcheck/clusters/kind/internal/run"
)

// masqueradeComment marks the host's NAT exemptions of a cluster's external
// hosts, so that Down finds those a crashed run left.
func masqueradeComment(cluster string) string { return "netpolcheck-kind " + cluster }

// exemptionRule is the nat POSTROUTING rule, less its verb, that keeps
// connections from an external host to the pods from being masqueraded.
//
// The docker host sees the frames between an external host's container and
// the nodes, although they are bridged: docker turns on
// bridge-nf-call-iptables. Its own rule masquerades whatever leaves a
// network of its from that network's subnet (-s 172.17.0.0/16 ! -o docker0
// -j MASQUERADE), so a scenario host at 172.17.0.10 reached the pods as the
// bridge's address: ipBlock rules saw another peer, and the replies were
// routed to docker0. Returning early from the chain for this one source and
// the pod subnet keeps the address as it is; nothing else changes.
func exemptionRule(cluster, ip, podSubnet string) []string {
	return []string{"POSTROUTING", "-s", ip + "/32", "-d", podSubnet,
		"-m", "comment", "--comment", masqueradeComment(cluster), "-j", "RETURN"}
}

// iptablesAvailable is false on hosts without iptables, where docker does
// not masquerade either.
func iptablesAvailable() bool {
	_, err := exec.LookPath("iptables")
	return err == nil
}

// iptables runs one iptables command on the host's nat table.
func iptables(ctx context.Context, log io.Writer, args ...string) (string, error) {
	return run.Command{Name: "iptables", Args: append([]string{"-w", "-t", "nat"}, args...)}.Output(ctx, log)
}

// exemptFromMasquerade adds the host's exemption for one external host, once.
func (c *Cluster) exemptFromMasquerade(ctx context.Context, ip string) error {
	if !iptablesAvailable() {
		return nil
	}
	rule := exemptionRule(c.name, ip, c.opts.PodSubnet)
	if _, err := iptables(ctx, nil, append([]string{"-C"}, rule...)...); err == nil {
		return nil
	}
	if _, err := iptables(ctx, c.opts.Log, append([]string{"-I"}, rule...)...); err != nil {
		return fmt.Errorf("exempt %s from masquerading: %w", ip, err)
	}
	return nil
}

// unexemptFromMasquerade removes one external host's exemption if present.
func (c *Cluster) unexemptFromMasquerade(ctx context.Context, ip string) error {
	if !iptablesAvailable() {
		return nil
	}
	rule := exemptionRule(c.name, ip, c.opts.PodSubnet)
	if _, err := iptables(ctx, nil, append([]string{"-C"}, rule...)...); err != nil {
		return nil
	}
	if _, err := iptables(ctx, c.opts.Log, append([]string{"-D"}, rule...)...); err != nil {
		return fmt.Errorf("remove masquerading exemption of %s: %w", ip, err)
	}
	return nil
}

// removeMasqueradeExemptions deletes every exemption of a cluster, also
// those a crashed run left.
func removeMasqueradeExemptions(ctx context.Context, log io.Writer, cluster string) error {
	if !iptablesAvailable() {
		return nil
	}
	out, err := iptables(ctx, nil, "-S", "POSTROUTING")
	if err != nil {
		return fmt.Errorf("list masquerading exemptions: %w", err)
	}
	var errs []error
	for _, rule := range exemptionsIn(out, cluster) {
		if _, err := iptables(ctx, log, append([]string{"-D"}, rule...)...); err != nil {
			errs = append(errs, fmt.Errorf("remove masquerading exemption: %w", err))
		}
	}
	return errors.Join(errs...)
}

// exemptionsIn picks a cluster's exemptions from `iptables -S POSTROUTING`
// output, each as the arguments that follow -D.
func exemptionsIn(rules, cluster string) [][]string {
	var out [][]string
	want := `--comment "` + masqueradeComment(cluster) + `"`
	for _, line := range strings.Split(rules, "\n") {
		rest, ok := strings.CutPrefix(line, "-A POSTROUTING ")
		if !ok || !strings.Contains(rest, want+" ") {
			continue
		}
		before, after, _ := strings.Cut(rest, want)
		args := append([]string{"POSTROUTING"}, strings.Fields(before)...)
		args = append(args, "--comment", masqueradeComment(cluster))
		out = append(out, append(args, strings.Fields(after)...))
	}
	return out
}
