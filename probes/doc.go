// Package probes owns connectivity probes: the Job and Result types, servers
// that answer with a pod's identity over TCP, UDP and SCTP, clients that
// classify an attempt as allowed, blocked or error, and the batch protocol that
// cmd/probe speaks inside probe pods. It uses the standard library and
// golang.org/x/sys/unix only, and runs on Linux.
//
// # Wire protocol
//
// It is kept tiny so that a packet capture reads plainly and a human can play
// either side with nc.
//
//   - TCP: the client connects and writes "netpolcheck <from>\n"; the server
//     answers "<identity>\n" and closes.
//   - UDP: the client sends the datagram "netpolcheck <from> <nonce>", the
//     nonce being 16 random hex digits; the server answers "<identity> <nonce>"
//     from the address the request was sent to. The client resends every
//     250ms until the timeout and ignores replies without its nonce (late
//     answers to earlier probes).
//   - SCTP: as TCP, over a one-to-one (SOCK_STREAM) SCTP association.
//
// Identities are one word ("ns/pod"); lines are at most 512 bytes.
//
// # Outcomes
//
// Allowed: the server answered and, when the job names one, with the expected
// identity. Blocked: the attempt timed out, or was refused or reset, which is
// how policy drops and rejects look from the client; for UDP an ICMP port
// unreachable (ECONNREFUSED) counts as refused. Error: anything else, because
// the probe could not tell: no route, a wrong identity, a bad job, a socket
// that could not be made, a kernel without SCTP, a cancelled context.
//
// # Network namespaces
//
// Serve and Run create their sockets on the calling goroutine's OS thread
// before they block. A caller that locks its thread and enters a network
// namespace thus serves and probes inside that namespace, while the goroutines
// that wait on the sockets may run on any thread. Start and Finish split a
// probe at that line, and RunBatchIn uses the split to probe from many
// namespaces with one namespace hop per source: the thread in a namespace
// only creates sockets, and the waiting happens on ordinary goroutines.
package probes
