// Package probes owns connectivity probes: the Job and Result types, servers
// that answer with a pod's identity over TCP, UDP and SCTP, clients that
// classify an attempt as allowed, blocked or error, and the batch protocol that
// cmd/probe speaks inside probe pods. It uses the standard library only.
package probes
