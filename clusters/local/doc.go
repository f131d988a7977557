// Package local is the cluster backend made of network namespaces on this
// host. It needs root and touches nothing of the host's own network
// namespace: no links, routes or sysctls there.
//
// # Topology
//
// Each cluster has a node namespace, npc-<run>-<n>-node, holding lo and one
// veth per pod and external host, with IPv4 forwarding on. Each pod and each
// external host is a namespace npc-<run>-<n>-<idx> whose eth0 holds its
// address as a /32. The node side of the veth (p<idx> for a pod, x<idx> for
// an external host) carries 169.254.1.1/32, the gateway every endpoint
// ARPs for, and a /32 route to the endpoint. Inside a pod the only routes via
// the gateway lead to the pod CIDR (Options.PodCIDR), to pods outside it, and
// to each external host's /32; external hosts route only to pods. There is no
// default route anywhere, so a probe to any other address fails with
// "network is unreachable" and no packet can leave the machine. Because
// every cluster has its own node, parallel clusters never collide, even with
// the same pod addresses.
//
// Every pod and external host runs a probes server on its ports, answering
// with its identity ("ns/pod" or the host's name). Setup and AddPod return
// only once every veth is operationally up, so that the first probes are not
// lost to a link the kernel has not finished bringing up. Probe enters the
// source's namespace on a locked OS thread for each job.
//
// # Enforcer hook
//
// The backend enforces no policy by itself. Options.Enforcer plugs one in:
// the EnforcerFactory gets the cluster's *Node (the node namespace's path, a
// BPF pin directory, and for each pod the host-side interface name, ifindex
// and IP, kept current on AddPod and RemovePod) at the end of Setup, when
// every initial link exists. The Enforcer then gets Apply(AddNamespace) for
// each namespace and Apply(AddPod) for each pod of the world, and afterwards
// every Change given to Cluster.Apply, after the network part of the change
// is done. Close is called first at teardown, while the links still exist.
// If the enforcer has a Sync(ctx) error method, Cluster.Sync calls it.
//
// # Cleanup
//
// A run (a Backend) has an ID, six random hex characters unless
// Options.RunID, and registers in /run/netpolcheck/<run>.json (pid, process
// start time, namespaces) before creating anything. Teardown and
// Backend.Close remove everything; Clean removes what crashed runs left.
package local
