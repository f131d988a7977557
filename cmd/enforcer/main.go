// Command enforcer is the reference NetworkPolicy enforcer's node daemon,
// run by a DaemonSet: it enforces the cluster's policies on the pods of its
// node with the eBPF datapath and serves health and metrics over HTTP.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Getenv, os.Stderr)
	stop()
	os.Exit(exitStatus(err, os.Stderr))
}
