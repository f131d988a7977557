package kube

import (
	"context"
	"fmt"
	"io"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/httpstream"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/remotecommand"
)

// Executor runs a command in a container, as kubectl exec does. It is the
// only way the backend reaches into pods: probes are driven through it, never
// over the pod network that the policies under test filter.
type Executor interface {
	Exec(ctx context.Context, req ExecRequest) error
}

// ExecRequest is one command to run in a container, with its streams.
type ExecRequest struct {
	Namespace, Pod, Container string
	Command                   []string
	Stdin                     io.Reader
	Stdout, Stderr            io.Writer
}

// apiExecutor execs through the API server's pods/exec subresource.
type apiExecutor struct {
	config *rest.Config
	client kubernetes.Interface
}

// NewExecutor returns an Executor that execs through the API server of
// config: over WebSocket, falling back to SPDY on servers that cannot
// upgrade to it, as kubectl does.
func NewExecutor(config *rest.Config, client kubernetes.Interface) Executor {
	return &apiExecutor{config: config, client: client}
}

// Exec runs req.Command and returns an error when it could not run or exited
// non-zero (a k8s.io/client-go/util/exec.ExitError then).
func (e *apiExecutor) Exec(ctx context.Context, req ExecRequest) error {
	u := e.client.CoreV1().RESTClient().Post().
		Resource("pods").Namespace(req.Namespace).Name(req.Pod).SubResource("exec").
		VersionedParams(&corev1.PodExecOptions{
			Container: req.Container,
			Command:   req.Command,
			Stdin:     req.Stdin != nil,
			Stdout:    req.Stdout != nil,
			Stderr:    req.Stderr != nil,
		}, scheme.ParameterCodec).URL()
	ws, err := remotecommand.NewWebSocketExecutor(e.config, "GET", u.String())
	if err != nil {
		return fmt.Errorf("websocket executor: %w", err)
	}
	spdy, err := remotecommand.NewSPDYExecutor(e.config, "POST", u)
	if err != nil {
		return fmt.Errorf("spdy executor: %w", err)
	}
	exec, err := remotecommand.NewFallbackExecutor(ws, spdy, func(err error) bool {
		return httpstream.IsUpgradeFailure(err) || httpstream.IsHTTPSProxyError(err)
	})
	if err != nil {
		return fmt.Errorf("exec fallback: %w", err)
	}
	return exec.StreamWithContext(ctx, remotecommand.StreamOptions{Stdin: req.Stdin, Stdout: req.Stdout, Stderr: req.Stderr})
}
