package kube

import (
	"fmt"
	"strings"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/netpolcheck/netpolcheck/probes"
	"github.com/netpolcheck/netpolcheck/scenarios"
)

// serviceName names the Service of the pod named pod (probes.ServiceNameOf).
func serviceName(pod string) string { return probes.ServiceNameOf(pod) }

// probeService is the ClusterIP Service in front of one probe pod, as
// upstream's e2e tests make one per pod: a port per served port, selected by
// PodLabel so that the scenario's relabelling never changes it. A pod that
// serves no port the cluster can carry gets none (nil): a ClusterIP Service
// needs a port, and no cell could reach it anyway.
func probeService(namespace string, p scenarios.Pod, sctp bool) *corev1.Service {
	name := serviceName(p.Name)
	var ports []corev1.ServicePort
	for _, port := range p.Ports {
		if port.Protocol == scenarios.SCTP && !sctp {
			continue
		}
		ports = append(ports, corev1.ServicePort{
			Name:       fmt.Sprintf("p%d-%s", port.Port, strings.ToLower(string(port.Protocol))),
			Port:       port.Port,
			TargetPort: intstr.FromInt32(port.Port),
			Protocol:   corev1.Protocol(port.Protocol),
		})
	}
	if len(ports) == 0 {
		return nil
	}
	return &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{
			Name:        name,
			Namespace:   namespace,
			Annotations: map[string]string{IdentityAnnotation: p.ID()},
		},
		Spec: corev1.ServiceSpec{
			Type:     corev1.ServiceTypeClusterIP,
			Selector: map[string]string{PodLabel: name},
			Ports:    ports,
		},
	}
}
