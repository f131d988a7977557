// Package clusters defines the Cluster interface that the runner drives, and
// holds its backends in subpackages: local (network namespaces on this host),
// kube (any cluster by kubeconfig) and kind (kube plus cluster lifecycle).
package clusters
