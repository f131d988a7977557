//go:build ignore

/* NetworkPolicy enforcement on the host side of a pod's veth. Traffic from
 * the pod enters the host-side device, so the TCX ingress hook enforces the
 * pod's egress policy; traffic to the pod leaves through it, so the TCX
 * egress hook enforces the pod's ingress policy. */

#include "types.h"
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

/* enforce decides one packet at the hook enforcing direction for the local
 * endpoint: the destination for ingress, the source for egress. */
static __always_inline int enforce(struct __sk_buff *skb, __u8 direction)
{
	struct packet pkt = {};
	if (parse_ipv4(skb, &pkt) != 0)
		return TCX_NEXT;

	__u32 generation = current_generation();
	__be32 local = direction == DIRECTION_INGRESS ? pkt.daddr : pkt.saddr;
	__be32 remote = direction == DIRECTION_INGRESS ? pkt.saddr : pkt.daddr;

	/* A managed device carries only its pod's address: without this a pod
	 * could leave its egress policy behind by forging its source. */
	struct device_key dk = {.generation = generation, .ifindex = skb->ifindex};
	struct device_value *dev = bpf_map_lookup_elem(&devices, &dk);
	if (dev && dev->addr != local)
		return deny(skb, &pkt, direction, generation, dev->identity, REASON_ADDRESS);
	if (!dev && generation_moved(generation))
		return deny(skb, &pkt, direction, generation, 0, REASON_GENERATION);

	struct endpoint_key ek = {.generation = generation, .addr = local};
	struct endpoint_value *ep = bpf_map_lookup_elem(&endpoints, &ek);
	if (!ep) {
		/* Not an endpoint of ours: no policy can select it. */
		if (generation_moved(generation))
			return deny(skb, &pkt, direction, generation, 0, REASON_GENERATION);
		return allow(direction);
	}
	__u32 identity = ep->identity;
	__u64 now = bpf_ktime_get_ns();

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
			     pkt.sport) == VERDICT_ALLOW) {
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

	int verdict = evaluate(generation, ruleset_for(ep, direction), remote, pkt.protocol, pkt.dport);
	if (verdict == VERDICT_ALLOW) {
		if (!withdrawn)
			ct_record(&fk, generation, now);
		return allow(direction);
	}
	if (cv)
		ct_withdraw(cv, generation, now);
	if (generation_moved(generation))
		verdict = REASON_GENERATION;
	return deny(skb, &pkt, direction, generation, identity, verdict);
}

/* egress_policy runs where the pod's packets enter the host. */
SEC("tcx/ingress")
int egress_policy(struct __sk_buff *skb)
{
	return enforce(skb, DIRECTION_EGRESS);
}

/* ingress_policy runs where packets for the pod leave the host. */
SEC("tcx/egress")
int ingress_policy(struct __sk_buff *skb)
{
	return enforce(skb, DIRECTION_INGRESS);
}
