package kube

import (
	"maps"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/netpolcheck/netpolcheck/scenarios"
)

// The probe pod's fixed parts.
const (
	// ContainerName is the probe pod's only container, the one exec enters.
	ContainerName = "probe"
	// probeBinary is where the probe image keeps cmd/probe.
	probeBinary = "/probe"
	// nobody is the unprivileged user the probe runs as.
	nobody = int64(65534)
	// idlePort is served by a pod that serves nothing else (no ports, or SCTP
	// ports only while SCTP is off), because the probe server needs a port to
	// keep running as an exec target. No cell probes it.
	idlePort = "65535/TCP"
	// unprivilegedPortSysctl lets the non-root probe bind ports below 1024.
	// It is one of the sysctls Kubernetes counts as safe, so no kubelet flag
	// or Pod Security exception is needed.
	unprivilegedPortSysctl = "net.ipv4.ip_unprivileged_port_start"
)

// podTemplate makes probe pods.
type podTemplate struct {
	image      string
	pullPolicy corev1.PullPolicy
	// sctp serves SCTP ports; without it they are declared but not served, so
	// that a node without SCTP does not crash the pod over cells that are skipped.
	sctp bool
	// service adds PodLabel so that the pod's own Service selects it.
	service bool
	// dnsServer, when set, is every pod's nameserver: the ClusterIP of the
	// model's cluster DNS pod dnsPod, which answers from its records file.
	dnsServer, dnsPod string
}

// pod returns the probe pod standing for p in the real namespace: one
// container serving every port of p with p's identity, as unprivileged as a
// container can be.
func (t podTemplate) pod(namespace string, p scenarios.Pod) *corev1.Pod {
	labels := maps.Clone(p.Labels)
	if t.service {
		if labels == nil {
			labels = map[string]string{}
		}
		labels[PodLabel] = serviceName(p.Name)
	}
	served := servedPorts(p.Ports, t.sctp)
	command := []string{probeBinary, "serve", "--identity", p.ID(), "--ports", served}
	pod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{
			Name:        p.Name,
			Namespace:   namespace,
			Labels:      labels,
			Annotations: map[string]string{IdentityAnnotation: p.ID()},
		},
		Spec: corev1.PodSpec{
			Containers: []corev1.Container{{
				Name:            ContainerName,
				Image:           t.image,
				ImagePullPolicy: t.pullPolicy,
				Command:         command,
				Ports:           containerPorts(p.Ports),
				StartupProbe:    startupProbe(p.ID(), served),
				Resources: corev1.ResourceRequirements{
					Requests: corev1.ResourceList{
						corev1.ResourceCPU:    resource.MustParse("5m"),
						corev1.ResourceMemory: resource.MustParse("16Mi"),
					},
					Limits: corev1.ResourceList{corev1.ResourceMemory: resource.MustParse("64Mi")},
				},
				SecurityContext: &corev1.SecurityContext{
					RunAsNonRoot:             ptr(true),
					RunAsUser:                ptr(nobody),
					RunAsGroup:               ptr(nobody),
					AllowPrivilegeEscalation: ptr(false),
					ReadOnlyRootFilesystem:   ptr(true),
					Capabilities:             &corev1.Capabilities{Drop: []corev1.Capability{"ALL"}},
				},
			}},
			SecurityContext: &corev1.PodSecurityContext{
				RunAsNonRoot:   ptr(true),
				RunAsUser:      ptr(nobody),
				RunAsGroup:     ptr(nobody),
				SeccompProfile: &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeRuntimeDefault},
				Sysctls:        []corev1.Sysctl{{Name: unprivilegedPortSysctl, Value: "0"}},
			},
			// The probe needs no API access, and service variables would only
			// grow the environment of every exec.
			AutomountServiceAccountToken:  ptr(false),
			EnableServiceLinks:            ptr(false),
			TerminationGracePeriodSeconds: ptr(int64(1)),
			RestartPolicy:                 corev1.RestartPolicyAlways,
		},
	}
	if t.dnsServer != "" {
		pod.Spec.DNSPolicy, pod.Spec.DNSConfig = corev1.DNSNone, t.dnsConfig(namespace)
	}
	if t.dnsServer != "" && p.ID() == t.dnsPod {
		c := &pod.Spec.Containers[0]
		c.Command = append(c.Command, "--dns-records", recordsFile)
		c.VolumeMounts = []corev1.VolumeMount{{Name: recordsVolume, MountPath: recordsDir}}
		pod.Spec.Volumes = []corev1.Volume{{Name: recordsVolume, VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}}}
	}
	return pod
}

// containerPorts declares every port of the pod with its name and protocol,
// so that policies naming a port resolve as they do for real workloads.
func containerPorts(ports []scenarios.Port) []corev1.ContainerPort {
	out := make([]corev1.ContainerPort, 0, len(ports))
	for _, p := range ports {
		out = append(out, corev1.ContainerPort{Name: p.Name, ContainerPort: p.Port, Protocol: corev1.Protocol(p.Protocol)})
	}
	return out
}

// servedPorts is the --ports value of probe serve: every port the cluster can
// carry, or idlePort when there is none.
func servedPorts(ports []scenarios.Port, sctp bool) string {
	var specs []string
	for _, p := range ports {
		if p.Protocol == scenarios.SCTP && !sctp {
			continue
		}
		specs = append(specs, p.String())
	}
	if len(specs) == 0 {
		return idlePort
	}
	return strings.Join(specs, ",")
}

// startupProbe asks the probe itself, over loopback, to connect to the first
// port it serves, every second until it answers with its identity (for up
// to two minutes, the default --ready-timeout). An exec probe is used
// because a kubelet probe over the network could be blocked by the very
// policies under test, for a pod that a step adds.
//
// There is no readiness probe: once started, a container is ready, and the
// probe server is its only process, so it cannot stop answering and keep
// running. Every exec is a runc process on the node: at one per second per
// pod, the few dozen probe pods of a run kept a 2-core kind host at a load
// of 140 and made probe rounds take 20 s; a readiness exec every 30 s after
// startup still cost each new pod a second exec, 1-4 s on a loaded node,
// before it read ready.
func startupProbe(identity, served string) *corev1.Probe {
	return &corev1.Probe{
		ProbeHandler:     selfCheck(identity, served),
		PeriodSeconds:    1,
		TimeoutSeconds:   3,
		FailureThreshold: 120,
	}
}

// firstServed is the port the startup probe dials: the first of --ports.
func firstServed(ports []scenarios.Port, sctp bool) scenarios.Port {
	port, protocol := splitFirst(servedPorts(ports, sctp))
	n, _ := strconv.Atoi(port)
	return scenarios.Port{Port: int32(n), Protocol: scenarios.Protocol(protocol)}
}

func splitFirst(served string) (port, protocol string) {
	first, _, _ := strings.Cut(served, ",")
	port, protocol, _ = strings.Cut(first, "/")
	return port, protocol
}

func selfCheck(identity, served string) corev1.ProbeHandler {
	port, protocol := splitFirst(served)
	return corev1.ProbeHandler{Exec: &corev1.ExecAction{Command: []string{
		probeBinary, "connect", "--to", "127.0.0.1", "--port", port, "--protocol", protocol,
		"--expect", identity, "--timeout", "1s",
	}}}
}

func ptr[T any](v T) *T { return &v }
