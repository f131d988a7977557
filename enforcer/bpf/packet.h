/* Reading the 5-tuple of an IPv4 packet at L2, as TCX hands it over. */
#ifndef NETPOLCHECK_PACKET_H
#define NETPOLCHECK_PACKET_H

#include "types.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#define ETH_HEADER_LEN 14
#define ETH_P_IP 0x0800
#define IP_OFFSET_MASK 0x1fff
#define IPPROTO_TCP 6
#define IPPROTO_UDP 17
#define IPPROTO_SCTP 132
/* Ethernet, the longest IPv4 header, and the two port fields. */
#define HEADERS_MAX (ETH_HEADER_LEN + 60 + 4)

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
 * that such packets only pass rules that admit every port. */
static __always_inline int parse_ipv4(struct __sk_buff *skb, struct packet *pkt)
{
	void *data = (void *)(long)skb->data;
	void *data_end = (void *)(long)skb->data_end;

	/* Headers may sit in paged data; pulling is best effort because a
	 * short packet cannot be pulled to the full length. */
	if (data + HEADERS_MAX > data_end && skb->len > skb->data_end - skb->data) {
		bpf_skb_pull_data(skb, HEADERS_MAX);
		data = (void *)(long)skb->data;
		data_end = (void *)(long)skb->data_end;
	}

	__u8 *eth = data;
	if (data + ETH_HEADER_LEN > data_end)
		return -1;
	if (*(__be16 *)(eth + 12) != bpf_htons(ETH_P_IP))
		return -1;

	__u8 *ip = data + ETH_HEADER_LEN;
	if ((void *)ip + 20 > data_end)
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
	__u8 *l4 = ip + ihl;
	if ((void *)l4 + 4 > data_end)
		return 0;
	pkt->sport = *(__be16 *)l4;
	pkt->dport = *(__be16 *)(l4 + 2);
	return 0;
}

#endif
