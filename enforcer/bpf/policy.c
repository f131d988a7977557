//go:build ignore

/* NetworkPolicy enforcement on the netfilter hooks of a node's network
 * namespace, where a packet carries the addresses the API means: the
 * destination after Service translation, the source before any masquerade.
 *
 * egress_policy runs at PREROUTING just after destination NAT, for packets
 * that came in from a pod's host-side device: the pod's egress policy sees
 * the backend pod a ClusterIP was translated to. ingress_policy runs at
 * POSTROUTING just before source NAT, for packets that leave through a pod's
 * device: the pod's ingress policy sees the client, not a masquerade address,
 * and a reply still carries the backend's address that the client's egress
 * approval was recorded with (the reverse translation comes later, at source
 * NAT). Packets of other devices (the uplink, external hosts' links) go
 * on to the endpoint lookup by address, which finds no local pod for them,
 * so they pass. */

#include "types.h"
#include "netfilter.h"
#include "maps.h"
#include "packet.h"
#include "verdict.h"
#include "conntrack.h"
#include "events.h"

char __license[] SEC("license") = "Dual MIT/GPL";

static __always_inline __u8 opposite(__u8 direction)
{
	return direction == DIRECTION_INGRESS ? DIRECTION_EGRESS : DIRECTION_INGRESS;
}

static __always_inline __u32 ruleset_for(const struct endpoint_value *ep, __u8 direction)
{
	return direction == DIRECTION_INGRESS ? ep->ingress : ep->egress;
}

/* device_of finds the managed device with this index. A miss while the
 * generation switches is looked up again in the new one, so that a packet
 * of a device in both generations never falls through the gap. */
static __always_inline struct device_value *device_of(__u32 *generation, __u32 ifindex)
{
	struct device_key dk = {.generation = *generation, .ifindex = ifindex};
	struct device_value *dev = bpf_map_lookup_elem(&devices, &dk);
	if (dev || !generation_moved(*generation))
		return dev;
	*generation = current_generation();
	dk.generation = *generation;
	return bpf_map_lookup_elem(&devices, &dk);
}

/* enforce decides one packet at the hook enforcing direction for the local
 * endpoint, the pod behind device ifindex: the destination for ingress, the
 * source for egress. */
static __always_inline int enforce(struct bpf_nf_ctx *ctx, __u32 ifindex, __u8 direction)
{
	struct packet pkt = {};
	if (parse_ipv4(ctx, &pkt) != 0)
		return NF_ACCEPT;

	__be32 local = direction == DIRECTION_INGRESS ? pkt.daddr : pkt.saddr;
	__be32 remote = direction == DIRECTION_INGRESS ? pkt.saddr : pkt.daddr;

	/* A managed device carries only its pod's address: without this a pod
	 * could leave its egress policy behind by forging its source. Other
	 * devices (the node's uplink, external hosts' links, the loopback a
	 * test run arrives on) go on to the endpoint lookup, which finds no
	 * local pod for the packets they carry. */
	__u32 generation = current_generation();
	struct device_value *dev = device_of(&generation, ifindex);
	if (dev && dev->addr != local)
		return deny(ifindex, &pkt, direction, generation, dev->identity, REASON_ADDRESS, 0);

	struct endpoint_key ek = {.generation = generation, .addr = local};
	struct endpoint_value *ep = bpf_map_lookup_elem(&endpoints, &ek);
	if (!ep) {
		/* Not an endpoint of ours: no policy can select it. */
		if (generation_moved(generation))
			return deny(ifindex, &pkt, direction, generation, 0, REASON_GENERATION, 0);
		return allow(direction);
	}
	__u32 identity = ep->identity;
	__u64 now = bpf_ktime_get_ns();
	__u32 rule = 0;

	/* A reply to a flow this endpoint approved the other way. An approval
	 * from an older generation is checked again against the policy now in
	 * force, so removing a rule also stops the flows it had let in. A
	 * reply to a withdrawn flow is judged as a packet of its own but never
	 * recorded as a flow: the other side's next packets would then pass as
	 * replies to it, and the withdrawn flow would go on the other way. */
	struct ct_key rk = reply_key(&pkt, opposite(direction));
	struct ct_value *cv = ct_lookup(&rk, now);
	int withdrawn = 0;
	if (cv) {
		if (cv->generation != generation &&
		    evaluate(generation, ruleset_for(ep, opposite(direction)), remote, pkt.protocol,
			     pkt.sport, &rule) == VERDICT_ALLOW) {
			cv->generation = generation;
			cv->withdrawn = 0;
		} else if (cv->generation != generation) {
			ct_withdraw(cv, generation, now);
		}
		if (!cv->withdrawn) {
			cv->last_seen = now;
			return allow(direction);
		}
		withdrawn = 1;
	}

	struct ct_key fk = flow_key(&pkt, direction);
	cv = ct_lookup(&fk, now);
	if (cv && cv->generation == generation && !cv->withdrawn) {
		cv->last_seen = now;
		return allow(direction);
	}

	rule = 0;
	int verdict = evaluate(generation, ruleset_for(ep, direction), remote, pkt.protocol, pkt.dport, &rule);
	if (verdict == VERDICT_ALLOW) {
		if (!withdrawn)
			ct_record(&fk, generation, now);
		return allow(direction);
	}
	if (cv)
		ct_withdraw(cv, generation, now);
	if (generation_moved(generation)) {
		verdict = REASON_GENERATION;
		rule = 0;
	}
	return deny(ifindex, &pkt, direction, generation, identity, verdict, rule);
}

/* egress_policy judges what a pod sends, where it enters the node. */
SEC("netfilter")
int egress_policy(struct bpf_nf_ctx *ctx)
{
	const struct net_device *in = ctx->state->in;
	return enforce(ctx, in ? in->ifindex : 0, DIRECTION_EGRESS);
}

/* ingress_policy judges what a pod receives, where it leaves the node.
 * The node's own traffic to its pods passes: "traffic to and from the node
 * where a Pod is running is always allowed" (the NetworkPolicy concept
 * documentation), which the kubelet's HTTP and TCP probes rely on. A packet
 * the node sent carries the local socket that sent it; a forwarded one,
 * from a pod, another node or an external host, carries none. */
SEC("netfilter")
int ingress_policy(struct bpf_nf_ctx *ctx)
{
	if (ctx->skb->sk)
		return NF_ACCEPT;
	const struct net_device *out = ctx->state->out;
	return enforce(ctx, out ? out->ifindex : 0, DIRECTION_INGRESS);
}
