/* Connection tracking: each hook records the flows it approved, keyed by the
 * flow's first-packet tuple and the hook's direction, so that replies can
 * pass and so that one hook's approval never stands in for the other's. */
#ifndef NETPOLCHECK_CONNTRACK_H
#define NETPOLCHECK_CONNTRACK_H

#include "maps.h"
#include "packet.h"

#define NSEC_PER_SEC 1000000000ULL
/* Idle lifetimes: long enough for quiet TCP sessions, short for datagrams
 * whose "connections" are only a convention. */
#define CT_TCP_LIFETIME (3600 * NSEC_PER_SEC)
#define CT_OTHER_LIFETIME (60 * NSEC_PER_SEC)

static __always_inline struct ct_key flow_key(const struct packet *pkt, __u8 direction)
{
	struct ct_key key = {
		.saddr = pkt->saddr,
		.daddr = pkt->daddr,
		.sport = pkt->sport,
		.dport = pkt->dport,
		.protocol = pkt->protocol,
		.direction = direction,
	};
	return key;
}

/* reply_key names the flow that pkt answers: the reversed tuple. */
static __always_inline struct ct_key reply_key(const struct packet *pkt, __u8 direction)
{
	struct ct_key key = {
		.saddr = pkt->daddr,
		.daddr = pkt->saddr,
		.sport = pkt->dport,
		.dport = pkt->sport,
		.protocol = pkt->protocol,
		.direction = direction,
	};
	return key;
}

/* ct_lookup returns the live approval for key, or NULL if none or expired.
 * Another CPU may have stamped the entry after this packet read the clock:
 * a last_seen ahead of now is fresh, not 2^64 ns old. Taking it for expired
 * let a reply pass as a new flow of the other side, which then outlived
 * the policy that had admitted the original flow. */
static __always_inline struct ct_value *ct_lookup(struct ct_key *key, __u64 now)
{
	struct ct_value *v = bpf_map_lookup_elem(&conntrack, key);
	if (!v)
		return 0;
	__u64 lifetime = key->protocol == IPPROTO_TCP ? CT_TCP_LIFETIME : CT_OTHER_LIFETIME;
	__u64 seen = v->last_seen;
	if (now > seen && now - seen > lifetime)
		return 0;
	return v;
}

static __always_inline void ct_record(struct ct_key *key, __u32 generation, __u64 now)
{
	struct ct_value v = {
		.last_seen = now,
		.generation = generation,
	};
	bpf_map_update_elem(&conntrack, key, &v, 0);
}

/* ct_withdraw marks an approval as no longer given under generation. */
static __always_inline void ct_withdraw(struct ct_value *v, __u32 generation, __u64 now)
{
	v->generation = generation;
	v->withdrawn = 1;
	v->last_seen = now;
}

#endif
