package kind

import (
	"context"
	"fmt"
	"os"
)

// CollectLogs exports the cluster's logs (every node's journal, containers
// and kubelet logs, as kind gathers them) into dir.
func (c *Cluster) CollectLogs(ctx context.Context, dir string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("kind cluster %s: logs: %w", c.name, err)
	}
	if err := c.kind.CollectLogs(c.name, dir); err != nil {
		return fmt.Errorf("kind cluster %s: logs: %w", c.name, err)
	}
	return nil
}
