/* Reading the 5-tuple of an IPv4 packet on a netfilter hook, where the
 * packet starts at its IP header. */
#ifndef NETPOLCHECK_PACKET_H
#define NETPOLCHECK_PACKET_H

#include "types.h"
#include "netfilter.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#define IP_OFFSET_MASK 0x1fff
#define IPPROTO_TCP 6
#define IPPROTO_UDP 17
#define IPPROTO_SCTP 132

struct packet {
	__be32 saddr;
	__be32 daddr;
	__be16 sport;
	__be16 dport;
	__u8 protocol;
};

/* TCP, UDP and SCTP all start with the source and destination ports. */
static __always_inline int has_ports(__u8 protocol)
{
	return protocol == IPPROTO_TCP || protocol == IPPROTO_UDP || protocol == IPPROTO_SCTP;
}

/* parse_ipv4 fills pkt and returns 0 for an IPv4 packet, -1 otherwise.
 * Ports stay zero for a non-first fragment or a truncated L4 header, so
 * that such packets only pass rules that admit every port. (With
 * conntrack loaded, the hooks see packets reassembled.) The slices copy
 * into the buffers when the bytes are not in the linear part. */
static __always_inline int parse_ipv4(struct bpf_nf_ctx *ctx, struct packet *pkt)
{
	struct bpf_dynptr ptr;
	__u8 ip_buf[20];
	__u8 ports_buf[4];

	if (bpf_dynptr_from_skb((struct __sk_buff *)ctx->skb, 0, &ptr))
		return -1;
	__u8 *ip = bpf_dynptr_slice(&ptr, 0, ip_buf, sizeof(ip_buf));
	if (!ip)
		return -1;
	__u32 ihl = (ip[0] & 0x0f) * 4;
	if ((ip[0] >> 4) != 4 || ihl < 20)
		return -1;

	pkt->protocol = ip[9];
	pkt->saddr = *(__be32 *)(ip + 12);
	pkt->daddr = *(__be32 *)(ip + 16);
	pkt->sport = 0;
	pkt->dport = 0;

	if (!has_ports(pkt->protocol))
		return 0;
	if (*(__be16 *)(ip + 6) & bpf_htons(IP_OFFSET_MASK))
		return 0;
	__u8 *l4 = bpf_dynptr_slice(&ptr, ihl, ports_buf, sizeof(ports_buf));
	if (!l4)
		return 0;
	pkt->sport = *(__be16 *)l4;
	pkt->dport = *(__be16 *)(l4 + 2);
	return 0;
}

#endif
