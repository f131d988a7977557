package e2e

import (
	"context"
	"errors"
	"fmt"
	"os"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/e2e-framework/klient"
	"sigs.k8s.io/e2e-framework/klient/wait"
	"sigs.k8s.io/e2e-framework/klient/wait/conditions"
	"sigs.k8s.io/e2e-framework/pkg/env"
	"sigs.k8s.io/e2e-framework/pkg/envconf"
	"sigs.k8s.io/e2e-framework/pkg/types"

	"github.com/netpolcheck/netpolcheck/clusters/kind"
	"github.com/netpolcheck/netpolcheck/probes"
)

// The suite's cluster. Its names differ from hack/e2e-kind.sh's (npc-e2e,
// npc-e2e-none), which runs this suite first, so that neither ever deletes
// or finds the other's cluster.
const (
	clusterName  = "npc-suite"
	clusterNodes = 3
	// imageTag keeps the suite's images apart from kind up's, which are
	// tagged with the binary's version.
	imageTag      = "kind-e2e"
	probeImage    = kind.ProbeRepository + ":" + imageTag
	enforcerImage = kind.EnforcerRepository + ":" + imageTag
	// namespace holds the probe pods.
	namespace = "npc-suite"
	// probePort is where every probe pod serves, over TCP and UDP.
	probePort = 8080
)

// Context keys of what Setup made.
type (
	clusterKey struct{}
	imagesKey  struct{}
	podsKey    struct{}
)

// builtImages are the image archives waiting to be loaded.
type builtImages struct {
	dir      string
	archives []string
}

// probePods are the suite's probe pods, one per node. The names say their
// part in the enforcement feature: the policy admits client and not other.
type probePods struct {
	client, other, server *corev1.Pod
}

// environment is the one environment of the suite. Each Finish func is an
// action of its own: env.Run goes on with the next action after a failure,
// so that a failed log export never keeps the cluster from being deleted.
func (s *kindSuite) environment() types.Environment {
	return env.NewWithConfig(envconf.New()).
		Setup(
			s.step("build the probe and enforcer images", s.buildImages),
			s.step("create the "+fmt.Sprint(clusterNodes)+"-node cluster "+clusterName, s.createCluster),
			s.step("load the images into every node", s.loadImages),
			s.step("deploy the reference enforcer", s.deployEnforcer),
			s.step("start the probe pods", s.startPods),
		).
		Finish(s.step("export the logs of a failed run", s.exportLogs)).
		Finish(s.step("delete the cluster", s.deleteCluster)).
		Finish(s.step("check that nothing is left", s.checkNothingLeft))
}

// provider makes the suite's clusters.
func (s *kindSuite) provider(opts ...kind.Option) *kind.Provider {
	return kind.NewProvider(append([]kind.Option{kind.WithNodes(clusterNodes), kind.WithNodeImage(s.nodeImage),
		kind.WithProbeImage(probeImage), kind.WithLogDir(s.logDir), kind.WithLog(s.log)}, opts...)...)
}

// buildImages builds the images before the cluster, as kind up does, so that
// a build error costs no cluster.
func (s *kindSuite) buildImages(ctx context.Context, _ *envconf.Config) (context.Context, error) {
	dir, err := os.MkdirTemp("", "netpolcheck-kind-e2e-images-")
	if err != nil {
		return ctx, err
	}
	imgs := []kind.BinaryImage{
		{Ref: probeImage, Package: "./cmd/probe", Path: "/probe", User: "65534"},
		{Ref: enforcerImage, Package: "./cmd/enforcer", Path: "/enforcer"},
	}
	archives, err := kind.BuildImages(ctx, s.log, s.root, dir, imgs...)
	if err != nil {
		return ctx, errors.Join(err, os.RemoveAll(dir))
	}
	return context.WithValue(ctx, imagesKey{}, builtImages{dir: dir, archives: archives}), nil
}

// createCluster makes the cluster and puts its kubeconfig and a client for
// it into the configuration.
func (s *kindSuite) createCluster(ctx context.Context, cfg *envconf.Config) (context.Context, error) {
	p := s.provider()
	// A cluster left by a run that crashed would make Up fail.
	if err := p.Down(ctx, clusterName); err != nil {
		return ctx, err
	}
	start := time.Now()
	c, err := p.Up(ctx, clusterName)
	if err != nil {
		return ctx, fmt.Errorf("%w (logs in %s)", err, s.logDir)
	}
	fmt.Fprintf(s.log, "kind e2e: TIMING %d-node cluster up, every node Ready: %s\n", clusterNodes, time.Since(start).Round(time.Millisecond))
	ctx = context.WithValue(ctx, clusterKey{}, c)
	client, err := klient.New(c.RESTConfig())
	if err != nil {
		return ctx, fmt.Errorf("client: %w", err)
	}
	cfg.WithKubeconfigFile(c.Kubeconfig()).WithClient(client)
	return ctx, nil
}

// loadImages loads the archives into every node and the docker host, where
// external hosts run the probe image.
func (s *kindSuite) loadImages(ctx context.Context, _ *envconf.Config) (context.Context, error) {
	c, imgs := ctx.Value(clusterKey{}).(*kind.Cluster), ctx.Value(imagesKey{}).(builtImages)
	start := time.Now()
	if err := c.LoadImages(ctx, imgs.archives...); err != nil {
		return ctx, err
	}
	fmt.Fprintf(s.log, "kind e2e: TIMING images loaded into %d nodes: %s\n", clusterNodes, time.Since(start).Round(time.Millisecond))
	return ctx, os.RemoveAll(imgs.dir)
}

// deployEnforcer deploys the reference enforcer and waits until its pod is
// Ready on every node, that is enforcing the cluster's policies.
func (s *kindSuite) deployEnforcer(ctx context.Context, _ *envconf.Config) (context.Context, error) {
	c := ctx.Value(clusterKey{}).(*kind.Cluster)
	return ctx, c.DeployEnforcer(ctx, enforcerImage, kind.DefaultEnforcerTimeout)
}

// startPods starts a probe pod on each node and waits until each answers
// itself: client on the control plane, other and server on the workers.
func (s *kindSuite) startPods(ctx context.Context, cfg *envconf.Config) (context.Context, error) {
	c := ctx.Value(clusterKey{}).(*kind.Cluster)
	nodes := c.Nodes()
	if len(nodes) != clusterNodes {
		return ctx, fmt.Errorf("%d nodes, want %d", len(nodes), clusterNodes)
	}
	res := cfg.Client().Resources()
	if err := res.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: namespace}}); err != nil {
		return ctx, fmt.Errorf("namespace %s: %w", namespace, err)
	}
	pods := []*corev1.Pod{probePod("client", nodes[0].Name), probePod("other", nodes[1].Name), probePod("server", nodes[2].Name)}
	for _, p := range pods {
		if err := res.Create(ctx, p); err != nil {
			return ctx, fmt.Errorf("pod %s: %w", p.Name, err)
		}
	}
	for _, p := range pods {
		if err := wait.For(conditions.New(res).PodReady(p), wait.WithContext(ctx), wait.WithTimeout(2*time.Minute), wait.WithInterval(time.Second)); err != nil {
			return ctx, fmt.Errorf("pod %s/%s not Ready: %w", namespace, p.Name, err)
		}
		if err := res.Get(ctx, p.Name, namespace, p); err != nil {
			return ctx, fmt.Errorf("pod %s/%s: %w", namespace, p.Name, err)
		}
	}
	return context.WithValue(ctx, podsKey{}, probePods{client: pods[0], other: pods[1], server: pods[2]}), nil
}

// probePod serves the probe on probePort over TCP and UDP as ns/name, on the
// given node. It is Ready once it answers itself over loopback, which no
// policy can block, so that no probe races the server's start.
func probePod(name, node string) *corev1.Pod {
	identity := namespace + "/" + name
	ready := append([]string{"/probe"}, probes.ConnectArgs(probes.Job{Host: "127.0.0.1", Port: probePort, Protocol: "TCP", Expect: identity, Timeout: time.Second})...)
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: namespace, Labels: map[string]string{"role": name}},
		Spec: corev1.PodSpec{
			NodeName:    node,
			Tolerations: []corev1.Toleration{{Operator: corev1.TolerationOpExists}},
			Containers: []corev1.Container{{
				Name: "probe", Image: probeImage, ImagePullPolicy: corev1.PullNever,
				Args: []string{"serve", "--identity", identity, "--ports", fmt.Sprintf("%d/TCP,%d/UDP", probePort, probePort)},
				ReadinessProbe: &corev1.Probe{
					ProbeHandler:  corev1.ProbeHandler{Exec: &corev1.ExecAction{Command: ready}},
					PeriodSeconds: 1, TimeoutSeconds: 3,
				},
			}},
		},
	}
}

// clusterOf is the cluster Setup made.
func clusterOf(t *testing.T, ctx context.Context) *kind.Cluster {
	t.Helper()
	c, ok := ctx.Value(clusterKey{}).(*kind.Cluster)
	if !ok {
		t.Fatal("no cluster in the context: the environment's Setup did not make one")
	}
	return c
}

// podsOf are the probe pods Setup started.
func podsOf(t *testing.T, ctx context.Context) probePods {
	t.Helper()
	p, ok := ctx.Value(podsKey{}).(probePods)
	if !ok {
		t.Fatal("no probe pods in the context: the environment's Setup did not start them")
	}
	return p
}
