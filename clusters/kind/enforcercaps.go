package kind

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
)

// capabilityBits are the bits of the capabilities the enforcer's manifest
// may add, as numbered in linux/capability.h.
var capabilityBits = map[corev1.Capability]uint{
	"NET_ADMIN": 12,
	"SYS_ADMIN": 21,
	"PERFMON":   38,
	"BPF":       39,
}

// sysAdminCovers are the capabilities the kernel also grants to CAP_SYS_ADMIN
// (bpf_capable and perfmon_capable accept either).
var sysAdminCovers = []corev1.Capability{"BPF", "PERFMON"}

// nodeBounding is the capability bounding set that containers on every node
// can have: the intersection of each node's PID 1 CapBnd.
func (c *Cluster) nodeBounding(ctx context.Context) (uint64, error) {
	all := ^uint64(0)
	for _, n := range c.nodes {
		var out strings.Builder
		if err := n.node.CommandContext(ctx, "cat", "/proc/1/status").SetStdout(&out).Run(); err != nil {
			return 0, fmt.Errorf("capabilities of %s: %w", n.node, err)
		}
		set, err := boundingSet(strings.NewReader(out.String()))
		if err != nil {
			return 0, fmt.Errorf("capabilities of %s: %w", n.node, err)
		}
		all &= set
	}
	return all, nil
}

// boundingSet reads CapBnd from a /proc/<pid>/status.
func boundingSet(status io.Reader) (uint64, error) {
	scanner := bufio.NewScanner(status)
	for scanner.Scan() {
		if hex, ok := strings.CutPrefix(scanner.Text(), "CapBnd:"); ok {
			set, err := strconv.ParseUint(strings.TrimSpace(hex), 16, 64)
			if err != nil {
				return 0, fmt.Errorf("parse CapBnd %q: %w", strings.TrimSpace(hex), err)
			}
			return set, nil
		}
	}
	if err := scanner.Err(); err != nil {
		return 0, err
	}
	return 0, fmt.Errorf("no CapBnd line in the process status")
}

// fitCapabilities makes the enforcer ask only for capabilities the nodes can
// grant. Docker daemons whose capability list predates Linux 5.8 (Debian
// bookworm's docker.io 20.10) give kind nodes neither CAP_BPF nor
// CAP_PERFMON, even --privileged, and runc on the node then refuses the
// container ("unable to apply caps: operation not permitted"). CAP_SYS_ADMIN
// stands in for both there; elsewhere the narrow set stays. It returns the
// capabilities it replaced.
func fitCapabilities(ds *appsv1.DaemonSet, bounding uint64) []corev1.Capability {
	var replaced []corev1.Capability
	for i := range ds.Spec.Template.Spec.Containers {
		sc := ds.Spec.Template.Spec.Containers[i].SecurityContext
		if sc == nil || sc.Capabilities == nil || bounding&(1<<capabilityBits["SYS_ADMIN"]) == 0 {
			continue
		}
		var kept []corev1.Capability
		for _, cp := range sc.Capabilities.Add {
			bit, known := capabilityBits[cp]
			if known && bounding&(1<<bit) == 0 && slices.Contains(sysAdminCovers, cp) {
				replaced = append(replaced, cp)
				continue
			}
			kept = append(kept, cp)
		}
		if len(kept) < len(sc.Capabilities.Add) && !slices.Contains(kept, "SYS_ADMIN") {
			kept = append(kept, "SYS_ADMIN")
		}
		sc.Capabilities.Add = kept
	}
	return replaced
}
