package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"net"

	"github.com/netpolcheck/netpolcheck/enforcer/datapath"
)

// config is the daemon's command line.
type config struct {
	nodeName   string
	kubeconfig string
	pinRoot    string
	listen     string
	hostNetNS  string
	uninstall  bool
}

const usage = `usage: enforcer [flags]

Enforces NetworkPolicy on the pods of one node until SIGTERM, which leaves
the programs attached and pinned so that enforcement goes on until the
next start. --uninstall detaches and unpins everything instead.

flags:
`

// parseFlags reads the command line; NODE_NAME from env is the default
// node name, as a DaemonSet passes it through the downward API.
func parseFlags(args []string, env func(string) string, stderr io.Writer) (config, error) {
	var c config
	fs := flag.NewFlagSet("enforcer", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(stderr, usage)
		fs.PrintDefaults()
	}
	fs.StringVar(&c.nodeName, "node-name", env("NODE_NAME"), "the node whose pods to enforce (default $NODE_NAME)")
	fs.StringVar(&c.kubeconfig, "kubeconfig", "", "kubeconfig file; empty for the in-cluster configuration")
	fs.StringVar(&c.pinRoot, "pin-root", datapath.DefaultPinRoot, "where to pin maps and links, on a BPF filesystem")
	fs.StringVar(&c.listen, "listen", ":9090", "address to serve /healthz, /readyz and /metrics on")
	fs.StringVar(&c.hostNetNS, "host-netns", "", "network namespace of the pods' host-side veths, as a path; entering it needs CAP_SYS_ADMIN (default: the daemon's own, for hostNetwork)")
	fs.BoolVar(&c.uninstall, "uninstall", false, "detach the programs, remove every pin and exit")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return config{}, err
		}
		return config{}, &usageError{}
	}
	if fs.NArg() > 0 {
		return config{}, &usageError{fmt.Errorf("unexpected argument %q", fs.Arg(0))}
	}
	if c.pinRoot == "" {
		return config{}, &usageError{errors.New("--pin-root is empty")}
	}
	if c.uninstall {
		return c, nil
	}
	if c.nodeName == "" {
		return config{}, &usageError{errors.New("no node name: set --node-name or NODE_NAME")}
	}
	if _, _, err := net.SplitHostPort(c.listen); err != nil {
		return config{}, &usageError{fmt.Errorf("--listen %q: %w", c.listen, err)}
	}
	return c, nil
}
