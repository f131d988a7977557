// Command probe is the agent that runs inside probe pods: it serves a pod's
// identity on its ports and carries out connection attempts for the runner.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], streams{in: os.Stdin, out: os.Stdout, err: os.Stderr})
	stop()
	os.Exit(exitStatus(err, os.Stderr))
}
