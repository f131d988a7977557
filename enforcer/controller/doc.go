// Package controller keeps a node's reference datapath in line with the
// cluster: client-go informers over namespaces, pods and network policies
// (and ClusterNetworkPolicies, with Options.PolicyAPI, where the cluster
// serves them: ServesClusterPolicies) feed a compile.Compiler, and the result goes to the datapath with the pods of
// this node attached. The same controller runs in-process for the local
// cluster (fed by a fake clientset) and in the enforcer DaemonSet (fed by the
// API server).
//
// # Coalescing
//
// Event handlers only raise a dirty flag; a single worker compiles and
// applies. A sync starts at once after a quiet period, but never sooner than
// Options.MinInterval after the previous one started, so that a burst of
// events costs a handful of compiles, not one per event. Every sync works
// from the listers, never from the events, so a lost or merged event cannot
// leave stale state behind. A sync that fails, or that finds a local pod
// whose device is not there yet, is retried with backoff.
//
// # Local endpoints
//
// A pod is local when its spec.nodeName is Options.NodeName. Its host-side
// device is the one the node routes the pod's /32 through: that is how the
// ptp CNI plugin (kind's) and the local backend wire pods alike, and it
// needs no knowledge of the CNI's naming. Devices of local pods are attached
// after the tables naming them are applied, and devices no longer wanted are
// detached first.
//
// # Sync markers: knowing what is in force
//
// A writer (the local backend's feeder, a test, a conformance runner) needs
// to know when every object it wrote is enforced. Each informer delivers its
// own kind in order, but the three informers race one another, so a single
// marker object could be seen before a pod written earlier. The writer
// therefore stamps the same number N into one sentinel object of each kind
// (WriteSyncMarker): the namespace netpolcheck-sync, and the pod and the
// network policy netpolcheck-sync/marker, annotated netpolcheck.io/sync=N,
// and with Options.PolicyAPI the ClusterNetworkPolicy netpolcheck-sync
// (WriteClusterPolicySyncMarker), whose subject has no pods and which has
// no rules.
// A sync reads each kind's sentinel before listing that kind, so once it has
// read N from all three, everything written before N is in its input. The
// controller publishes the smallest of the three it compiled from as
// Status.Marker only after Apply returned and every local device is
// attached; WaitFor lets the writer block on it. The sentinels are never part
// of the compiled input: the pod has no address, no node and a scheduling
// gate so that no kubelet ever runs it, and the policy selects nothing.
package controller
