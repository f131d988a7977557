// Package bpf holds the reference enforcer's eBPF programs, their C source
// and the Go that bpf2go generates from it.
//
// Two netfilter programs share one set of maps. egress_policy runs at
// PREROUTING just after DNAT, for packets from a pod's host-side veth;
// ingress_policy at POSTROUTING just before SNAT, for packets to one. So a
// connection to a ClusterIP is judged against its backend pod, and a client
// is never seen as a masquerade address (docs/design.md). A verdict costs two
// longest-prefix lookups, remote address then port, whatever the number of
// policies, plus connection-tracking lookups so that replies pass. Every
// policy map is keyed by generation so that the datapath can write a whole
// new policy beside the old one and switch with a single store.
//
// The generated policy_bpfel.go and policy_bpfel.o are committed, so
// building needs no clang; `go generate ./enforcer/bpf` rebuilds them.
package bpf
