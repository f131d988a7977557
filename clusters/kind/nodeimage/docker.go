package nodeimage

import (
	"context"
	"io"

	"github.com/netpolcheck/netpolcheck/clusters/kind/internal/run"
)

// dockerImageKey returns the KeyLabel of a local image, or "" when the image
// is missing or unlabelled.
func dockerImageKey(ctx context.Context, image string) string {
	out, err := run.Docker(ctx, nil, "image", "inspect", "--format", `{{index .Config.Labels "`+KeyLabel+`"}}`, image)
	if err != nil {
		return ""
	}
	return out
}

// docker runs one docker command and returns its trimmed output.
func docker(ctx context.Context, log io.Writer, args ...string) (string, error) {
	return run.Docker(ctx, log, args...)
}

// dockerWithInput runs one docker command fed from r.
func dockerWithInput(ctx context.Context, log io.Writer, r io.Reader, args ...string) error {
	_, err := run.Command{Name: "docker", Args: args, Stdin: r}.Output(ctx, log)
	return err
}
