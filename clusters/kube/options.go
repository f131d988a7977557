package kube

import (
	"errors"
	"fmt"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/validation"
	npaversioned "sigs.k8s.io/network-policy-api/pkg/client/clientset/versioned"

	"github.com/netpolcheck/netpolcheck/clusters"
	"github.com/netpolcheck/netpolcheck/probes"
)

// Name is the backend's name as --cluster spells it.
const Name = "kube"

// ImageRepository is where the probe image lives; ProbeImage adds the tag.
const ImageRepository = "netpolcheck/probe"

// ProbeImage is the probe image of a netpolcheck version, the one the kind
// backend builds and loads: netpolcheck/probe:<version>, with the characters
// an image tag cannot hold replaced by "-".
func ProbeImage(version string) string {
	tag := strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '_', r == '.', r == '-':
			return r
		}
		return '-'
	}, strings.Trim(version, "()"))
	if tag == "" {
		tag = "devel"
	}
	if len(tag) > 128 {
		tag = tag[:128]
	}
	return ImageRepository + ":" + tag
}

// SCTPMode says whether SCTP cells are probed. SCTP support depends on the
// nodes' kernels and on the CNI, and a pod serving SCTP on a node without it
// fails to start, so it is off unless asked for.
type SCTPMode string

// The SCTP modes.
const (
	// SCTPOff skips SCTP cells with the reason "not requested (--sctp)".
	SCTPOff SCTPMode = "off"
	// SCTPOn probes SCTP cells.
	SCTPOn SCTPMode = "on"
	// SCTPAuto probes SCTP cells if, once at start, one probe pod can reach
	// another over SCTP with no policy in force.
	SCTPAuto SCTPMode = "auto"
)

// Defaults of Options.
const (
	DefaultReadyTimeout    = 2 * time.Minute
	DefaultDeleteTimeout   = 2 * time.Minute
	DefaultExecConcurrency = 32
	// DefaultSetupConcurrency: one after another, each pod's create waited
	// for the one before, and each new namespace for its service account.
	DefaultSetupConcurrency = 8
	DefaultHeartbeat        = 30 * time.Second
)

// Options configure a Backend.
type Options struct {
	// Name is the backend's name in results; Name ("kube") when empty. The
	// kind backend sets "kind".
	Name string
	// RunID names this run's namespaces (npc-<run>-...); six random hex
	// characters when empty; otherwise 1 to 12 lower-case letters or digits.
	RunID string
	// ProbeImage is the image of the probe pods, e.g. ProbeImage(version). Required.
	ProbeImage string
	// PullPolicy of the probe image; IfNotPresent when empty, so that an
	// image loaded into the nodes (kind load) is used as it is.
	PullPolicy corev1.PullPolicy
	// Targets are how probes dial a destination pod, each pod-to-pod cell
	// once per target; by pod IP alone when empty. With
	// probes.TargetService every probe pod gets a ClusterIP Service of its
	// own, as the upstream suite makes.
	Targets []probes.Target
	// SCTP says whether SCTP cells are probed; SCTPOff when empty.
	SCTP SCTPMode
	// ExternalHosts emulates the scenarios' external hosts (the kind backend
	// sets it). Without it, StaticHosts stand in for the hosts at their
	// addresses, and with neither, external-host cells are skipped.
	ExternalHosts ExternalHosts
	// StaticHosts are probe servers reachable from pods (--external-host).
	StaticHosts []StaticHost
	// PolicyAPI is the cluster's network-policy-api client (ConnectPolicyAPI).
	// Scenarios with ClusterNetworkPolicies run when it is set and the
	// cluster serves the CRD; otherwise they are skipped, saying which.
	PolicyAPI npaversioned.Interface
	// ReadyTimeout bounds waiting for probe pods (and their Services) to be
	// ready; DefaultReadyTimeout when zero.
	ReadyTimeout time.Duration
	// DeleteTimeout bounds waiting for deleted namespaces and pods to be
	// gone; DefaultDeleteTimeout when zero.
	DeleteTimeout time.Duration
	// SetupConcurrency bounds the namespaces, and then the pods, that Setup
	// creates at once; DefaultSetupConcurrency when zero.
	SetupConcurrency int
	// ExecConcurrency bounds the execs in flight per Probe call, one per
	// source pod; DefaultExecConcurrency when zero.
	ExecConcurrency int
	// Sessions keeps one exec open per source pod (probe session) and sends
	// each round's batch down it, instead of one exec per batch: on kind,
	// starting execs was most of a run's CPU. A batch whose session fails
	// is sent again by one exec.
	Sessions bool
	// ProbeConcurrency bounds the probes in flight inside one exec;
	// probes.DefaultConcurrency when zero.
	ProbeConcurrency int
	// Heartbeat is how often the run renews ExpiresAnnotation on its
	// namespaces; DefaultHeartbeat when zero. A namespace expires after three.
	Heartbeat time.Duration
	// KubectlArgs go between kubectl and exec in reproduce commands, e.g.
	// --kubeconfig and --context, so that they reach the same cluster.
	KubectlArgs []string
	// Converge is the backend's default convergence bound (see
	// clusters.Defaults); DefaultConverge when zero.
	Converge time.Duration
	// EnforcerPods are the enforcer's pods, which the behaviour probe may
	// delete to see what happens while they restart; nil leaves the
	// enforcer alone (its restart is not measured).
	EnforcerPods *PodSelection
}

// PodSelection names pods by namespace and label selector.
type PodSelection struct {
	Namespace string
	// Selector is a label selector, as kubectl get -l takes it.
	Selector string
}

// ParsePodSelection reads NAMESPACE/SELECTOR, e.g.
// kube-system/k8s-app=kube-network-policies.
func ParsePodSelection(s string) (PodSelection, error) {
	ns, selector, ok := strings.Cut(s, "/")
	if !ok || ns == "" || selector == "" {
		return PodSelection{}, fmt.Errorf("%q is not NAMESPACE/SELECTOR", s)
	}
	if errs := validation.IsDNS1123Label(ns); len(errs) > 0 {
		return PodSelection{}, fmt.Errorf("namespace %q: %s", ns, strings.Join(errs, "; "))
	}
	if _, err := labels.Parse(selector); err != nil {
		return PodSelection{}, fmt.Errorf("selector %q: %w", selector, err)
	}
	return PodSelection{Namespace: ns, Selector: selector}, nil
}

func (p PodSelection) String() string { return p.Namespace + "/" + p.Selector }

// DefaultConverge bounds a step's convergence on a real cluster: CNIs
// program policies asynchronously, and a loaded node takes seconds.
const DefaultConverge = 20 * time.Second

// withDefaults fills the zero fields and checks the others.
func (o Options) withDefaults() (Options, error) {
	if o.Name == "" {
		o.Name = Name
	}
	if o.ProbeImage == "" {
		return o, errors.New("no probe image given")
	}
	if o.PullPolicy == "" {
		o.PullPolicy = corev1.PullIfNotPresent
	}
	if len(o.Targets) == 0 {
		o.Targets = []probes.Target{probes.TargetPod}
	}
	if err := probes.CheckTargets(o.Targets); err != nil {
		return o, fmt.Errorf("target %w", err)
	}
	switch o.SCTP {
	case "":
		o.SCTP = SCTPOff
	case SCTPOff, SCTPOn, SCTPAuto:
	default:
		return o, fmt.Errorf("SCTP mode %q is not one of off, on, auto", o.SCTP)
	}
	if o.ExternalHosts != nil && len(o.StaticHosts) > 0 {
		return o, errors.New("static external hosts cannot be given with an external host provider")
	}
	if err := checkStaticHosts(o.StaticHosts); err != nil {
		return o, err
	}
	if o.RunID != "" {
		if err := clusters.ValidateRunID(o.RunID); err != nil {
			return o, err
		}
	}
	for _, d := range []struct {
		name  string
		value *time.Duration
		def   time.Duration
	}{
		{"ready timeout", &o.ReadyTimeout, DefaultReadyTimeout},
		{"delete timeout", &o.DeleteTimeout, DefaultDeleteTimeout},
		{"heartbeat", &o.Heartbeat, DefaultHeartbeat},
		{"convergence bound", &o.Converge, DefaultConverge},
	} {
		if *d.value < 0 {
			return o, fmt.Errorf("%s %s is negative", d.name, *d.value)
		}
		if *d.value == 0 {
			*d.value = d.def
		}
	}
	for _, c := range []struct {
		name  string
		value *int
		def   int
	}{
		{"exec concurrency", &o.ExecConcurrency, DefaultExecConcurrency},
		{"setup concurrency", &o.SetupConcurrency, DefaultSetupConcurrency},
		{"probe concurrency", &o.ProbeConcurrency, probes.DefaultConcurrency},
	} {
		if *c.value < 0 {
			return o, fmt.Errorf("%s %d is negative", c.name, *c.value)
		}
		if *c.value == 0 {
			*c.value = c.def
		}
	}
	return o, nil
}
