package kind

import (
	"context"
	"fmt"
)

// bpffsPath is where the enforcer pins its maps and links; its DaemonSet
// mounts the node's directory of that path.
const bpffsPath = "/sys/fs/bpf"

// mountBPFFS mounts the BPF filesystem on every node that lacks it. A kind
// node is a container whose /sys is a fresh sysfs, so /sys/fs/bpf there is
// an empty directory on which mkdir fails, and the enforcer could pin
// nothing. Mounted on the node, it outlives the enforcer's pods, as pins
// must.
func (c *Cluster) mountBPFFS(ctx context.Context) error {
	for _, n := range c.nodes {
		script := "mountpoint -q " + bpffsPath + " || mount -t bpf bpf " + bpffsPath
		if err := n.node.CommandContext(ctx, "sh", "-c", script).Run(); err != nil {
			return fmt.Errorf("mount the BPF filesystem on %s: %w", n.node, err)
		}
	}
	return nil
}
