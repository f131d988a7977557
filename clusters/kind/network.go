package kind

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/netpolcheck/netpolcheck/clusters/kind/internal/run"
)

// networkLabel marks the docker networks this package created, so that Down
// removes only those.
const networkLabel = "dev.netpolcheck.kind.network"

// ensureNetwork creates the nodes' docker network when missing and returns
// its IPv4 subnet (an existing network keeps its own).
func ensureNetwork(ctx context.Context, log io.Writer, name, subnet string) (string, error) {
	if existing, err := networkSubnet(ctx, name); err == nil {
		return existing, nil
	}
	if _, err := run.Docker(ctx, log, "network", "create", "--driver", "bridge", "--subnet", subnet,
		"--label", networkLabel+"=true", name); err != nil {
		return "", fmt.Errorf("create docker network %s: %w", name, err)
	}
	return subnet, nil
}

// networkSubnet returns the first IPv4 subnet of a docker network.
func networkSubnet(ctx context.Context, name string) (string, error) {
	out, err := run.Docker(ctx, nil, "network", "inspect", "--format", "{{range .IPAM.Config}}{{.Subnet}} {{end}}", name)
	if err != nil {
		return "", err
	}
	for _, s := range strings.Fields(out) {
		if !strings.Contains(s, ":") {
			return s, nil
		}
	}
	return "", fmt.Errorf("docker network %s has no IPv4 subnet", name)
}

// removeNetworkIfUnused removes a network this package created once no
// container is attached any more: other clusters may still share it.
func removeNetworkIfUnused(ctx context.Context, log io.Writer, name string) error {
	out, err := run.Docker(ctx, nil, "network", "inspect", "--format", `{{index .Labels "`+networkLabel+`"}} {{len .Containers}}`, name)
	if err != nil {
		var runErr *run.Error
		if errors.As(err, &runErr) && isNoSuchNetwork(runErr.Output) {
			return nil
		}
		return fmt.Errorf("inspect docker network %s: %w", name, err)
	}
	if out != "true 0" {
		return nil
	}
	if _, err := run.Docker(ctx, log, "network", "rm", name); err != nil {
		return fmt.Errorf("remove docker network %s: %w", name, err)
	}
	return nil
}

// isNoSuchNetwork recognises docker's answer for a missing network; daemons
// before and after v23 word it differently.
func isNoSuchNetwork(output string) bool {
	out := strings.ToLower(output)
	return strings.Contains(out, "no such network") || (strings.Contains(out, "network") && strings.Contains(out, "not found"))
}
