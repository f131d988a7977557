// Package bpf holds the reference enforcer's eBPF programs, their C source
// and the Go that bpf2go generates from it.
//
// Two programs share one set of maps. egress_policy is attached at TCX
// ingress on the host side of a pod's veth (traffic leaving the pod) and
// ingress_policy at TCX egress (traffic entering it). A verdict costs two
// longest-prefix lookups, remote address then port, whatever the number of
// policies, plus connection-tracking lookups so that replies pass. Every
// policy map is keyed by generation so that the datapath can write a whole
// new policy beside the old one and switch with a single store.
//
// The generated policy_bpfel.go and policy_bpfel.o are committed, so
// building needs no clang; `go generate ./enforcer/bpf` rebuilds them.
package bpf
