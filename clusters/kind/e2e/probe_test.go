package e2e

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	utilexec "k8s.io/client-go/util/exec"
	"sigs.k8s.io/e2e-framework/pkg/envconf"

	"github.com/netpolcheck/netpolcheck/clusters/kind/internal/run"
	"github.com/netpolcheck/netpolcheck/probes"
)

// Exit statuses of probe connect with one job.
const (
	exitAllowed = 0
	exitBlocked = 1
)

// probeTimeout bounds one connection attempt. A blocked one costs all of it.
const probeTimeout = 2 * time.Second

// connect runs `probe connect` in a probe pod through the API server, as the
// kube backend does, and returns its exit status and output. Only a failure
// to run the probe at all is an error.
func connect(ctx context.Context, cfg *envconf.Config, from *corev1.Pod, host string, port int32, protocol, expect string) (int, string, error) {
	cmd := append([]string{"/probe"}, probes.ConnectArgs(probes.Job{Host: host, Port: port, Protocol: protocol, Expect: expect, Timeout: probeTimeout})...)
	var stdout, stderr bytes.Buffer
	err := cfg.Client().Resources().ExecInPod(ctx, from.Namespace, from.Name, "probe", cmd, &stdout, &stderr)
	out := stdout.String() + stderr.String()
	var exit utilexec.CodeExitError
	switch {
	case err == nil:
		return exitAllowed, out, nil
	case errors.As(err, &exit):
		return exit.Code, out, nil
	}
	return -1, out, fmt.Errorf("exec in %s/%s: %w", from.Namespace, from.Name, err)
}

// connectPod probes one pod from another on probePort, expecting its identity.
func connectPod(ctx context.Context, cfg *envconf.Config, from, to *corev1.Pod, protocol string) (int, string, error) {
	return connect(ctx, cfg, from, to.Status.PodIP, probePort, protocol, to.Namespace+"/"+to.Name)
}

// nodeOutput runs a command in a node's container (kind names the container
// after the node) and returns its standard output.
func nodeOutput(ctx context.Context, node string, args ...string) (string, error) {
	return run.Docker(ctx, nil, append([]string{"exec", node}, args...)...)
}

// sawSource tells whether the server's node tracked a TCP connection from
// src to the server: pods must see the pods' and external hosts' own
// addresses, as NetworkPolicy peers select them.
func sawSource(ctx context.Context, server *corev1.Pod, src string) (bool, error) {
	out, err := nodeOutput(ctx, server.Spec.NodeName, "conntrack", "-L", "-p", "tcp", "--dst", server.Status.PodIP, "--dport", fmt.Sprint(probePort))
	if err != nil {
		return false, err
	}
	return strings.Contains(out+"\n", "src="+src+" "), nil
}
