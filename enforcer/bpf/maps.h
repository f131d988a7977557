/* The maps shared by both programs and the Go datapath. Every policy map
 * carries the generation in its key so that a complete new policy can be
 * written beside the one in force and switched to with one store. */
#ifndef NETPOLCHECK_MAPS_H
#define NETPOLCHECK_MAPS_H

#include "types.h"
#include <bpf/bpf_helpers.h>

/* Which policy direction a hook enforces. Zero is left unused so that a
 * zeroed conntrack key never matches a real approval. */
enum direction {
	DIRECTION_INGRESS = 1,
	DIRECTION_EGRESS = 2,
};

/* Why a packet was dropped, as carried in drop records. */
enum reason {
	REASON_PEER = 1,       /* no rule admits the remote address */
	REASON_PORT = 2,       /* a rule admits the address but not the port */
	REASON_ADDRESS = 3,    /* the packet does not carry the device's pod address */
	REASON_GENERATION = 4, /* the policy changed under a lookup; fail closed */
	REASON_TIER = 5,       /* a port entry of a rule set flattened from cluster
				* policy tiers denies: the drop's rule names the
				* cluster policy rule, or is zero for NetworkPolicy
				* isolation */
};

/* Slots of the counters map. */
enum counter {
	COUNTER_INGRESS_ALLOWED = 0,
	COUNTER_INGRESS_DENIED = 1,
	COUNTER_EGRESS_ALLOWED = 2,
	COUNTER_EGRESS_DENIED = 3,
	COUNTER_DROPS_LOST = 4,
	COUNTER_MAX = 5,
};

struct state {
	__u32 generation;
};

struct endpoint_key {
	__u32 generation;
	__be32 addr;
};

/* A rule set of zero means the endpoint is not isolated in that direction. */
struct endpoint_value {
	__u32 identity;
	__u32 ingress;
	__u32 egress;
};

struct device_key {
	__u32 generation;
	__u32 ifindex;
};

struct device_value {
	__be32 addr;
	__u32 identity;
};

/* prefixlen counts generation and ruleset (64 bits) plus the address prefix. */
struct peer_key {
	__u32 prefixlen;
	__u32 generation;
	__u32 ruleset;
	__be32 addr;
};

struct peer_value {
	__u32 class;
};

/* prefixlen is 64 for every protocol and port, 80 for every port of one
 * protocol, and 80 plus the port prefix otherwise. */
struct port_key {
	__u32 prefixlen;
	__u32 generation;
	__u32 class;
	__u16 protocol;
	__be16 port;
};

/* An entry allows, or denies by rule (see REASON_TIER). Rule sets made of
 * NetworkPolicy alone hold allowing entries only: a miss denies. */
struct port_value {
	__u32 allowed;
	__u32 rule;
};

/* A flow as its first packet carried it, and which hook approved it. */
struct ct_key {
	__be32 saddr;
	__be32 daddr;
	__be16 sport;
	__be16 dport;
	__u8 protocol;
	__u8 direction;
	__u16 pad;
};

/* withdrawn marks an approval that the policy of generation no longer
 * gives: it is kept, rather than deleted, so that replies still in flight
 * are not taken for new flows of the other side. */
struct ct_value {
	__u64 last_seen;
	__u32 generation;
	__u32 withdrawn;
};

struct drop_event {
	__be32 saddr;
	__be32 daddr;
	__be16 sport;
	__be16 dport;
	__u8 protocol;
	__u8 direction;
	__u8 reason;
	__u8 pad;
	__u32 identity;
	__u32 generation;
	__u32 ifindex;
	__u32 rule;
	/* ktime is when the packet was dropped (CLOCK_MONOTONIC), so that a
	 * reader can tell a socket's drops from those of an earlier socket
	 * that had the same addresses and ports. */
	__u64 ktime;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct state);
} state SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 32768);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct endpoint_key);
	__type(value, struct endpoint_value);
} endpoints SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 32768);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct device_key);
	__type(value, struct device_value);
} devices SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, 1048576);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct peer_key);
	__type(value, struct peer_value);
} peers SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, 262144);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct port_key);
	__type(value, struct port_value);
} ports SEC(".maps");

/* Each CPU evicts from an LRU list of its own. With the common list, a full
 * map took free entries from other CPUs' lists of entries just added, so an
 * approval recorded for a connection's first packet could be gone before
 * its reply came back, and the reply was judged, and dropped, as a packet of
 * its own: a long local run (a million probes on parked clusters) had the
 * replies of allowed egress probes dropped in three steps of four. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 65536);
	__uint(map_flags, BPF_F_NO_COMMON_LRU);
	__type(key, struct ct_key);
	__type(value, struct ct_value);
} conntrack SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 262144);
} drops SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, COUNTER_MAX);
	__type(key, __u32);
	__type(value, __u64);
} counters SEC(".maps");

#endif
