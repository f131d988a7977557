// Package datapath loads the reference enforcer's eBPF programs, pins their
// maps and netfilter hook links under /sys/fs/bpf/netpolcheck/<instance>/, and writes
// compiled policy tables into the maps.
//
// A policy change is atomic: Apply writes a complete new generation of the
// tables beside the one in force, switches the generation number in a
// one-element array with a single store, and only then deletes the old
// generation. A program that read the old number and misses an entry
// deleted under it sees the number has moved and drops the packet rather
// than let it through, so no packet is ever allowed that neither the old nor
// the new policy allows.
//
// Everything the kernel needs to keep enforcing is pinned: a process that
// stops without Close (a crash, an upgrade, Release) leaves the links and
// maps in place, and the next Open with the same instance picks them up.
package datapath
