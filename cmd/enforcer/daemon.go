package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"time"

	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	npaversioned "sigs.k8s.io/network-policy-api/pkg/client/clientset/versioned"

	"github.com/netpolcheck/netpolcheck/enforcer/controller"
	"github.com/netpolcheck/netpolcheck/enforcer/datapath"
)

// instance names the daemon's pins under the pin root; a node runs one.
const instance = "node"

// run is the real entry point; main only turns its error into an exit status.
func run(ctx context.Context, args []string, env func(string) string, stderr io.Writer) error {
	cfg, err := parseFlags(args, env, stderr)
	if err != nil {
		return err
	}
	logger := log.New(stderr, "enforcer: ", log.LstdFlags|log.Lmsgprefix)
	if cfg.uninstall {
		return uninstall(cfg, logger)
	}
	client, policyAPI, err := newClient(cfg.kubeconfig)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", cfg.listen)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	return serve(ctx, cfg, client, policyClients(client, policyAPI, logger), ln, logger)
}

// policies are the network-policy-api clients the controller watches
// through: cluster for ClusterNetworkPolicy, admin for the v1alpha1
// AdminNetworkPolicy and BaselineAdminNetworkPolicy; each nil where the
// cluster does not serve its kinds.
type policies struct{ cluster, admin npaversioned.Interface }

// policyClients gives each client where the cluster serves its kinds: an
// informer of a resource that is not served would wait for it forever. A
// CRD installed later takes a restart of the daemon to be enforced.
func policyClients(client kubernetes.Interface, policyAPI npaversioned.Interface, logger *log.Logger) policies {
	var out policies
	served, reason, err := controller.ServesClusterPolicies(client.Discovery())
	switch {
	case err != nil:
		logger.Printf("not enforcing ClusterNetworkPolicy: %v", err)
	case !served:
		logger.Printf("not enforcing ClusterNetworkPolicy: %s", reason)
	default:
		logger.Printf("enforcing ClusterNetworkPolicy (%s) too", controller.ClusterPolicyGroupVersion)
		out.cluster = policyAPI
	}
	served, reason, err = controller.ServesAdminPolicies(client.Discovery())
	switch {
	case err != nil:
		logger.Printf("not enforcing AdminNetworkPolicy: %v", err)
	case !served:
		logger.Printf("not enforcing AdminNetworkPolicy: %s", reason)
	default:
		logger.Printf("enforcing AdminNetworkPolicy and BaselineAdminNetworkPolicy (%s) too", controller.AdminPolicyGroupVersion)
		out.admin = policyAPI
	}
	if out.cluster == nil && out.admin == nil {
		logger.Printf("enforcing NetworkPolicy only")
	}
	return out
}

// newClient talks to the API server of the kubeconfig, or to the one the
// pod runs under when kubeconfig is empty: the core client and the
// network-policy-api one.
func newClient(kubeconfig string) (kubernetes.Interface, npaversioned.Interface, error) {
	var rc *rest.Config
	var err error
	if kubeconfig == "" {
		rc, err = rest.InClusterConfig()
	} else {
		rc, err = clientcmd.BuildConfigFromFlags("", kubeconfig)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("kubernetes client config: %w", err)
	}
	rc.UserAgent = "netpolcheck-enforcer"
	client, err := kubernetes.NewForConfig(rc)
	if err != nil {
		return nil, nil, fmt.Errorf("kubernetes client: %w", err)
	}
	policyAPI, err := npaversioned.NewForConfig(rc)
	if err != nil {
		return nil, nil, fmt.Errorf("network-policy-api client: %w", err)
	}
	return client, policyAPI, nil
}

// serve answers HTTP on ln while it enforces, until ctx ends.
func serve(ctx context.Context, cfg config, client kubernetes.Interface, policyAPI policies, ln net.Listener, logger *log.Logger) error {
	state := &daemonState{}
	srv := &http.Server{Handler: newHandler(state), ReadHeaderTimeout: 5 * time.Second}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	logger.Printf("serving /healthz, /readyz and /metrics on %s", ln.Addr())

	err := enforce(ctx, cfg, client, policyAPI, state, logger)

	stopCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if shutErr := srv.Shutdown(stopCtx); shutErr != nil {
		err = errors.Join(err, fmt.Errorf("stop http server: %w", shutErr))
	}
	if srvErr := <-served; !errors.Is(srvErr, http.ErrServerClosed) {
		err = errors.Join(err, fmt.Errorf("http server: %w", srvErr))
	}
	return err
}

// enforce opens the datapath (adopting what a previous run pinned), runs
// the controller until ctx ends, then releases the datapath and leaves its
// pins: the kernel goes on enforcing the last generation until the next
// start picks it up.
func enforce(ctx context.Context, cfg config, client kubernetes.Interface, policyAPI policies, state *daemonState, logger *log.Logger) error {
	dp, err := datapath.Open(instance, datapath.WithPinRoot(cfg.pinRoot), datapath.WithNetNS(cfg.hostNetNS))
	if err != nil {
		return err
	}
	routes, err := controller.NewNodeRoutes(cfg.hostNetNS)
	if err != nil {
		return errors.Join(fmt.Errorf("node routes: %w", err), dp.Release())
	}
	ctrl, err := controller.New(client, controller.Options{
		NodeName: cfg.nodeName, Datapath: dp, Routes: routes, OnDrop: state.dropped, PolicyAPI: policyAPI.cluster, AdminPolicyAPI: policyAPI.admin,
	})
	if err != nil {
		return errors.Join(err, routes.Close(), dp.Release())
	}
	state.loaded(ctrl)
	logger.Printf("datapath open at generation %d with %d devices attached; enforcing node %s",
		dp.Generation(), len(dp.Attached()), cfg.nodeName)
	go logStatus(ctx, ctrl, logger)

	runErr := ctrl.Run(ctx)
	state.stop()
	generation := dp.Generation()
	err = errors.Join(runErr, routes.Close(), dp.Release())
	if err == nil {
		logger.Printf("released the datapath; generation %d stays in force", generation)
	}
	return err
}

// logStatus logs every sync that changed the generation or the error.
func logStatus(ctx context.Context, ctrl *controller.Controller, logger *log.Logger) {
	var last controller.Status
	for {
		s, err := ctrl.WaitFor(ctx, func(s controller.Status) bool {
			return s.Generation != last.Generation || errorText(s.Err) != errorText(last.Err)
		})
		if err != nil {
			return
		}
		logger.Printf("%s", s)
		last = s
	}
}

func errorText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// uninstall detaches the programs from every device and removes every pin:
// the node stops enforcing.
func uninstall(cfg config, logger *log.Logger) error {
	dp, err := datapath.Open(instance, datapath.WithPinRoot(cfg.pinRoot), datapath.WithNetNS(cfg.hostNetNS))
	if err != nil {
		return fmt.Errorf("uninstall: %w", err)
	}
	devices := len(dp.Attached())
	if err := dp.Close(); err != nil {
		return fmt.Errorf("uninstall: %w", err)
	}
	logger.Printf("uninstalled: detached %d devices and removed the pins", devices)
	return nil
}
