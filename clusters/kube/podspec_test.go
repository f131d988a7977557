package kube

import (
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/netpolcheck/netpolcheck/scenarios"
)

func TestProbePodSpec(t *testing.T) {
	p := scenarios.Pod{
		Namespace: "x", Name: "a", Labels: map[string]string{"app": "web"},
		Ports: []scenarios.Port{
			{Name: "http", Port: 80, Protocol: scenarios.TCP},
			{Name: "dns", Port: 53, Protocol: scenarios.UDP},
			{Port: 132, Protocol: scenarios.SCTP},
		},
	}
	got := podTemplate{image: "netpolcheck/probe:v1", pullPolicy: corev1.PullIfNotPresent}.pod("npc-r1-0-x", p)
	want := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{
			Name: "a", Namespace: "npc-r1-0-x",
			Labels:      map[string]string{"app": "web"},
			Annotations: map[string]string{"netpolcheck.io/identity": "x/a"},
		},
		Spec: corev1.PodSpec{
			Containers: []corev1.Container{{
				Name:            "probe",
				Image:           "netpolcheck/probe:v1",
				ImagePullPolicy: corev1.PullIfNotPresent,
				// SCTP is off: 132/SCTP is declared but not served.
				Command: []string{"/probe", "serve", "--identity", "x/a", "--ports", "80/TCP,53/UDP"},
				Ports: []corev1.ContainerPort{
					{Name: "http", ContainerPort: 80, Protocol: corev1.ProtocolTCP},
					{Name: "dns", ContainerPort: 53, Protocol: corev1.ProtocolUDP},
					{ContainerPort: 132, Protocol: corev1.ProtocolSCTP},
				},
				StartupProbe: &corev1.Probe{
					ProbeHandler: corev1.ProbeHandler{Exec: &corev1.ExecAction{Command: []string{
						"/probe", "connect", "--to", "127.0.0.1", "--port", "80", "--protocol", "TCP", "--expect", "x/a", "--timeout", "1s",
					}}},
					PeriodSeconds: 1, TimeoutSeconds: 3, FailureThreshold: 120,
				},
				Resources: corev1.ResourceRequirements{
					Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("5m"), corev1.ResourceMemory: resource.MustParse("16Mi")},
					Limits:   corev1.ResourceList{corev1.ResourceMemory: resource.MustParse("64Mi")},
				},
				SecurityContext: &corev1.SecurityContext{
					RunAsNonRoot:             ptr(true),
					RunAsUser:                ptr(int64(65534)),
					RunAsGroup:               ptr(int64(65534)),
					AllowPrivilegeEscalation: ptr(false),
					ReadOnlyRootFilesystem:   ptr(true),
					Capabilities:             &corev1.Capabilities{Drop: []corev1.Capability{"ALL"}},
				},
			}},
			SecurityContext: &corev1.PodSecurityContext{
				RunAsNonRoot:   ptr(true),
				RunAsUser:      ptr(int64(65534)),
				RunAsGroup:     ptr(int64(65534)),
				SeccompProfile: &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeRuntimeDefault},
				Sysctls:        []corev1.Sysctl{{Name: "net.ipv4.ip_unprivileged_port_start", Value: "0"}},
			},
			AutomountServiceAccountToken:  ptr(false),
			EnableServiceLinks:            ptr(false),
			TerminationGracePeriodSeconds: ptr(int64(1)),
			RestartPolicy:                 corev1.RestartPolicyAlways,
		},
	}
	if !equality.Semantic.DeepEqual(got, want) {
		t.Errorf("pod =\n%+v\nwant\n%+v", got, want)
	}
	if p.Labels[PodLabel] != "" {
		t.Error("pod() changed the scenario pod's labels")
	}
}

func TestProbePodVariants(t *testing.T) {
	tests := []struct {
		name        string
		tmpl        podTemplate
		pod         scenarios.Pod
		wantPorts   string
		wantLabels  map[string]string
		wantReadyOn []string // port and protocol of the readiness probe
	}{
		{
			name:        "SCTP on serves SCTP",
			tmpl:        podTemplate{sctp: true},
			pod:         scenarios.Pod{Namespace: "x", Name: "a", Ports: []scenarios.Port{{Port: 132, Protocol: scenarios.SCTP}, {Port: 80, Protocol: scenarios.TCP}}},
			wantPorts:   "132/SCTP,80/TCP",
			wantReadyOn: []string{"132", "SCTP"},
		},
		{
			name:        "only SCTP while SCTP is off serves the idle port",
			tmpl:        podTemplate{},
			pod:         scenarios.Pod{Namespace: "x", Name: "a", Ports: []scenarios.Port{{Port: 132, Protocol: scenarios.SCTP}}},
			wantPorts:   "65535/TCP",
			wantReadyOn: []string{"65535", "TCP"},
		},
		{
			name:        "no ports serves the idle port",
			tmpl:        podTemplate{},
			pod:         scenarios.Pod{Namespace: "x", Name: "a"},
			wantPorts:   "65535/TCP",
			wantReadyOn: []string{"65535", "TCP"},
		},
		{
			name:        "service target adds the pod label",
			tmpl:        podTemplate{service: true},
			pod:         scenarios.Pod{Namespace: "x", Name: "a", Labels: map[string]string{"app": "web"}, Ports: []scenarios.Port{{Port: 81, Protocol: scenarios.UDP}}},
			wantPorts:   "81/UDP",
			wantLabels:  map[string]string{"app": "web", PodLabel: "np-a"},
			wantReadyOn: []string{"81", "UDP"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := tt.tmpl.pod("ns", tt.pod)
			c := got.Spec.Containers[0]
			if ports := c.Command[len(c.Command)-1]; ports != tt.wantPorts {
				t.Errorf("--ports %s, want %s", ports, tt.wantPorts)
			}
			probe := c.StartupProbe.Exec.Command
			if probe[5] != tt.wantReadyOn[0] || probe[7] != tt.wantReadyOn[1] {
				t.Errorf("startup probe %v, want port %s protocol %s", probe, tt.wantReadyOn[0], tt.wantReadyOn[1])
			}
			if tt.wantLabels != nil && !equality.Semantic.DeepEqual(got.Labels, tt.wantLabels) {
				t.Errorf("labels %v, want %v", got.Labels, tt.wantLabels)
			}
		})
	}
}

func TestProbeService(t *testing.T) {
	p := scenarios.Pod{Namespace: "x", Name: "a", Ports: []scenarios.Port{
		{Name: "http", Port: 80, Protocol: scenarios.TCP}, {Port: 81, Protocol: scenarios.UDP}, {Port: 82, Protocol: scenarios.SCTP},
	}}
	got := probeService("npc-r1-0-x", p, false)
	want := &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: "np-a", Namespace: "npc-r1-0-x", Annotations: map[string]string{IdentityAnnotation: "x/a"}},
		Spec: corev1.ServiceSpec{
			Type:     corev1.ServiceTypeClusterIP,
			Selector: map[string]string{PodLabel: "np-a"},
			Ports: []corev1.ServicePort{
				{Name: "p80-tcp", Port: 80, TargetPort: intstr.FromInt32(80), Protocol: corev1.ProtocolTCP},
				{Name: "p81-udp", Port: 81, TargetPort: intstr.FromInt32(81), Protocol: corev1.ProtocolUDP},
			},
		},
	}
	if !equality.Semantic.DeepEqual(got, want) {
		t.Errorf("service =\n%+v\nwant\n%+v", got, want)
	}
	if got := probeService("ns", scenarios.Pod{Namespace: "x", Name: "a", Ports: []scenarios.Port{{Port: 82, Protocol: scenarios.SCTP}}}, false); got != nil {
		t.Errorf("a pod serving nothing got a service: %+v", got)
	}
	if got := probeService("ns", scenarios.Pod{Namespace: "x", Name: "a", Ports: []scenarios.Port{{Port: 82, Protocol: scenarios.SCTP}}}, true); len(got.Spec.Ports) != 1 || got.Spec.Ports[0].Name != "p82-sctp" {
		t.Errorf("with SCTP the service has ports %+v, want p82-sctp", got.Spec.Ports)
	}
}

func TestServiceName(t *testing.T) {
	tests := map[string]string{
		"a":     "np-a",
		"web-1": "np-web-1",
		"a.b":   "np-108bf50c", // dots are fine in pod names, not in Service names
		"1st":   "np-1st",
		// 60 characters fit with np- into the 63 of a Service name; 61 do not.
		strings.Repeat("a", 60):       "np-" + strings.Repeat("a", 60),
		"x" + strings.Repeat("a", 60): "np-ce91a5f3",
	}
	for in, want := range tests {
		if got := serviceName(in); got != want {
			t.Errorf("serviceName(%q) = %q, want %q", in, got, want)
		}
	}
}

// Probing by name, every pod resolves through the model's DNS pod's
// Service, with kubelet's search list; that pod alone answers DNS from its
// records volume.
func TestProbePodsResolveThroughTheModelDNS(t *testing.T) {
	tmpl := podTemplate{image: "i", service: true, dnsServer: "10.96.7.7", dnsPod: "kube-system/kube-dns"}
	dns := scenarios.Pod{Namespace: "kube-system", Name: "kube-dns", Ports: []scenarios.Port{{Port: 53, Protocol: scenarios.UDP}}}
	web := scenarios.Pod{Namespace: "x", Name: "a", Ports: []scenarios.Port{{Port: 80, Protocol: scenarios.TCP}}}
	for _, tt := range []struct {
		pod       scenarios.Pod
		namespace string
		serves    bool
	}{{dns, "npc-r1-0-kube-system", true}, {web, "npc-r1-0-x", false}} {
		got := tmpl.pod(tt.namespace, tt.pod)
		cfg := got.Spec.DNSConfig
		if got.Spec.DNSPolicy != corev1.DNSNone || cfg == nil || len(cfg.Nameservers) != 1 || cfg.Nameservers[0] != "10.96.7.7" ||
			len(cfg.Searches) == 0 || cfg.Searches[0] != tt.namespace+".svc.cluster.local" {
			t.Errorf("%s: DNS policy %s, config %+v; want None through 10.96.7.7, searching its real namespace first", tt.pod.ID(), got.Spec.DNSPolicy, cfg)
		}
		command := strings.Join(got.Spec.Containers[0].Command, " ")
		serves := strings.Contains(command, "--dns-records "+recordsFile)
		if serves != tt.serves || (len(got.Spec.Volumes) == 1) != tt.serves || (len(got.Spec.Containers[0].VolumeMounts) == 1) != tt.serves {
			t.Errorf("%s: command %q, volumes %v; want the records volume and flag only on the DNS pod", tt.pod.ID(), command, got.Spec.Volumes)
		}
	}
	if got := (podTemplate{image: "i"}).pod("x", web); got.Spec.DNSPolicy != "" || got.Spec.DNSConfig != nil {
		t.Errorf("without a model DNS: %s %+v; want the cluster's default", got.Spec.DNSPolicy, got.Spec.DNSConfig)
	}
}
