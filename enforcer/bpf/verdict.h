/* The policy decision: two longest-prefix lookups whatever the number of
 * policies, one for the remote address and one for the port. */
#ifndef NETPOLCHECK_VERDICT_H
#define NETPOLCHECK_VERDICT_H

#include "maps.h"

#define VERDICT_ALLOW 0

/* current_generation reads the generation in force; zero before any policy. */
static __always_inline __u32 current_generation(void)
{
	__u32 zero = 0;
	struct state *st = bpf_map_lookup_elem(&state, &zero);
	if (!st)
		return 0;
	return *(volatile __u32 *)&st->generation;
}

/* generation_moved tells whether a lookup miss may come from the old
 * generation being deleted under this packet. The datapath deletes only
 * after switching, so a miss seen before the switch is genuine. */
static __always_inline int generation_moved(__u32 generation)
{
	return current_generation() != generation;
}

/* evaluate returns VERDICT_ALLOW or the reason the rule set denies traffic
 * with the remote address on protocol and port (the flow's destination port),
 * and sets *rule to the rule that denied for REASON_TIER. */
static __always_inline int evaluate(__u32 generation, __u32 ruleset, __be32 remote,
				    __u8 protocol, __be16 port, __u32 *rule)
{
	if (ruleset == 0)
		return VERDICT_ALLOW;

	struct peer_key pk = {
		.prefixlen = 96,
		.generation = generation,
		.ruleset = ruleset,
		.addr = remote,
	};
	struct peer_value *peer = bpf_map_lookup_elem(&peers, &pk);
	if (!peer)
		return REASON_PEER;

	struct port_key kk = {
		.prefixlen = 96,
		.generation = generation,
		.class = peer->class,
		.protocol = protocol,
		.port = port,
	};
	struct port_value *pv = bpf_map_lookup_elem(&ports, &kk);
	if (!pv)
		return REASON_PORT;
	if (!pv->allowed) {
		*rule = pv->rule;
		return REASON_TIER;
	}
	return VERDICT_ALLOW;
}

#endif
