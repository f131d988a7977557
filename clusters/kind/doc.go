// Package kind runs real Kubernetes clusters for netpolcheck with kind, used
// as a library: Up creates a cluster of 1 to N nodes (one control plane) from
// the offline node image that package nodeimage builds, or from any
// kindest/node image, with no default CNI. Its own minimal pod network takes
// kindnetd's place, because kindnetd enforces NetworkPolicy itself and would
// hide the enforcer under test: ptp with host-local addresses from each
// node's podCIDR, so every pod has a veth and a /32 route on its node, and
// routes between the nodes.
//
// The cluster also carries what the kube backend needs around it: the
// project's images built without docker build and loaded into every node,
// external hosts for ipBlock scenarios (containers of ours on the nodes'
// docker network, reachable from pods and routing nowhere else, one per
// address whatever the scenarios call it), kind's log
// export, and the reference enforcer as a DaemonSet (DeployEnforcer), with
// what a kind node lacks for it: the BPF filesystem, and on docker daemons
// that predate CAP_BPF a capability the node can grant. Nodes sit on a
// docker network of their own (netpolcheck-kind, 100.64.0.0/24) so that the
// addresses scenarios give external hosts, such as 172.18.0.2, never collide
// with a node, and their default routes are removed so that no test packet
// leaves the machine.
//
// On hosts whose capability bounding set lacks CAP_SYS_RESOURCE, `docker run
// --privileged` fails; the Provider then puts a docker shim first in this
// process's PATH (kind drives the docker CLI even as a library). See
// docs/kind.md.
package kind
