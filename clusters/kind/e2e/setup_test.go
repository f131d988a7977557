package e2e

import (
	"context"
	"errors"
	"fmt"
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
	podsKey    struct{}
)

// probePods are the suite's probe pods, one per node. The names say their
// part in the enforcement feature: the policy admits client and not other.
type probePods struct {
	client, other, server *corev1.Pod
}

// environment is the one environment of the suite. Its Setup is kind up's
// own creation (kind.NewCreation), step by step, so that the suite tests
// the code users run. Each Finish func is an action of its own: env.Run
// goes on with the next action after a failure, so that a failed log
// export never keeps the cluster from being deleted.
func (s *kindSuite) environment() types.Environment {
	setup := []types.EnvFunc{s.step("delete a cluster left by a crashed run", s.deleteStale)}
	for _, st := range s.creation.Steps() {
		setup = append(setup, s.step(st.Name, s.timed(st)))
	}
	setup = append(setup,
		s.step("connect to the cluster", s.connect),
		s.step("start the probe pods", s.startPods))
	return env.NewWithConfig(envconf.New()).
		Setup(setup...).
		Finish(s.step("export the logs of a failed run", s.exportLogs)).
		Finish(s.step("delete the cluster", s.deleteCluster)).
		Finish(s.step("check that nothing is left", s.checkNothingLeft))
}

// spec is the suite's cluster as kind up would make it with the reference
// enforcer, from the source tree at root.
func (s *kindSuite) spec() kind.Spec {
	return kind.Spec{
		Name: clusterName, Nodes: clusterNodes, NodeImage: s.nodeImage, CNI: kind.CNIReference,
		KNPAdapt: kind.KNPAdaptAuto, NPAChannel: kind.ChannelStandard, ImageTag: imageTag,
		SourceRoot: s.root, LogDir: s.logDir, Log: s.log,
	}
}

// provider finds or deletes the suite's clusters.
func (s *kindSuite) provider() *kind.Provider {
	return kind.NewProvider(kind.WithProbeImage(probeImage), kind.WithLog(s.log))
}

// deleteStale deletes a cluster a crashed run left, which would make the
// creation's Up fail.
func (s *kindSuite) deleteStale(ctx context.Context, _ *envconf.Config) (context.Context, error) {
	return ctx, s.provider().Down(ctx, clusterName)
}

// timed runs one creation step and reports its time.
func (s *kindSuite) timed(st kind.Step) types.EnvFunc {
	return func(ctx context.Context, _ *envconf.Config) (context.Context, error) {
		start := time.Now()
		if err := st.Run(ctx); err != nil {
			return ctx, err
		}
		fmt.Fprintf(s.log, "kind e2e: TIMING %s: %s\n", st.Name, time.Since(start).Round(time.Millisecond))
		return ctx, nil
	}
}

// connect puts the cluster, its kubeconfig and a client for it into the
// context and the configuration.
func (s *kindSuite) connect(ctx context.Context, cfg *envconf.Config) (context.Context, error) {
	c := s.creation.Cluster()
	if c == nil {
		return ctx, errors.New("the creation made no cluster")
	}
	if got := s.creation.ProbeImage(); got != probeImage {
		return ctx, fmt.Errorf("the creation loaded probe image %s, the suite's pods run %s", got, probeImage)
	}
	ctx = context.WithValue(ctx, clusterKey{}, c)
	client, err := klient.New(c.RESTConfig())
	if err != nil {
		return ctx, fmt.Errorf("client: %w", err)
	}
	cfg.WithKubeconfigFile(c.Kubeconfig()).WithClient(client)
	return ctx, nil
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
