/* Verdict accounting: per-CPU counters and a drop record for every drop. */
#ifndef NETPOLCHECK_EVENTS_H
#define NETPOLCHECK_EVENTS_H

#include "maps.h"
#include "packet.h"
#include "netfilter.h"

/* Keeps struct drop_event in BTF so that Go gets a generated type for it:
 * ring buffers carry no value type of their own. */
const struct drop_event *unused_drop_event __attribute__((unused));

static __always_inline void count(__u32 slot)
{
	__u64 *n = bpf_map_lookup_elem(&counters, &slot);
	if (n)
		*n += 1;
}

static __always_inline int allow(__u8 direction)
{
	count(direction == DIRECTION_INGRESS ? COUNTER_INGRESS_ALLOWED : COUNTER_EGRESS_ALLOWED);
	return NF_ACCEPT;
}

/* deny counts the drop and reports it; a full ring buffer loses the record,
 * never the drop, and the loss is counted so readers know they missed some. */
static __always_inline int deny(__u32 ifindex, const struct packet *pkt, __u8 direction,
				__u32 generation, __u32 identity, __u8 reason, __u32 rule)
{
	count(direction == DIRECTION_INGRESS ? COUNTER_INGRESS_DENIED : COUNTER_EGRESS_DENIED);

	struct drop_event *ev = bpf_ringbuf_reserve(&drops, sizeof(*ev), 0);
	if (!ev) {
		count(COUNTER_DROPS_LOST);
		return NF_DROP;
	}
	ev->saddr = pkt->saddr;
	ev->daddr = pkt->daddr;
	ev->sport = pkt->sport;
	ev->dport = pkt->dport;
	ev->protocol = pkt->protocol;
	ev->direction = direction;
	ev->reason = reason;
	ev->pad = 0;
	ev->identity = identity;
	ev->generation = generation;
	ev->ifindex = ifindex;
	ev->rule = rule;
	ev->ktime = bpf_ktime_get_ns();
	bpf_ringbuf_submit(ev, 0);
	return NF_DROP;
}

#endif
