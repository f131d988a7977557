// Package manifests holds the Kubernetes objects that deploy the reference
// enforcer as a DaemonSet, embedded as YAML, and renders them with the
// enforcer's image.
//
// The objects are a ServiceAccount, a ClusterRole that may only list and
// watch pods, namespaces and networkpolicies, its binding, and a DaemonSet
// on every node, control plane included. The daemon runs in the host's
// network namespace, where the pods' host-side veths are, as root with only
// CAP_BPF, CAP_NET_ADMIN and CAP_PERFMON (the verifier wants the last for
// the pointer arithmetic of packet parsing), and pins under the host's
// /sys/fs/bpf so that its programs outlive a restart of the pod.
package manifests
