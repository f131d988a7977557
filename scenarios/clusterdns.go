package scenarios

// The cluster DNS of a model, which probes by name resolve through: the
// pods kube-dns's Service selects on every common distribution, where it
// serves.
const (
	ClusterDNSNamespace = "kube-system"
	ClusterDNSLabel     = "k8s-app"
	ClusterDNSApp       = "kube-dns"
	ClusterDNSPort      = 53
)

// IsClusterDNS tells whether p can be the model's cluster DNS: a pod of
// kube-system labelled k8s-app=kube-dns that serves 53/UDP.
func IsClusterDNS(p Pod) bool {
	if p.Namespace != ClusterDNSNamespace || p.Labels[ClusterDNSLabel] != ClusterDNSApp {
		return false
	}
	for _, port := range p.Ports {
		if port.Port == ClusterDNSPort && port.Protocol == UDP {
			return true
		}
	}
	return false
}

// ClusterDNS is the world's cluster DNS: the first pod IsClusterDNS accepts.
func (w *World) ClusterDNS() (Pod, bool) {
	for _, p := range w.Pods {
		if IsClusterDNS(p) {
			return p, true
		}
	}
	return Pod{}, false
}
