/* The netfilter hook context, declared with only the fields the programs
 * read. preserve_access_index makes each field access a CO-RE relocation,
 * resolved against the running kernel's BTF when the programs load, so the
 * layouts here need not match any kernel's. struct bpf_nf_ctx is checked by
 * offset instead: the verifier allows exactly these two pointers. */
#ifndef NETPOLCHECK_NETFILTER_H
#define NETPOLCHECK_NETFILTER_H

#include "types.h"
#include <bpf/bpf_helpers.h>

struct net_device {
	int ifindex;
} __attribute__((preserve_access_index));

struct nf_hook_state {
	struct net_device *in;
	struct net_device *out;
} __attribute__((preserve_access_index));

struct sock;

struct sk_buff {
	unsigned int len;
	struct sock *sk;
} __attribute__((preserve_access_index));

struct bpf_nf_ctx {
	const struct nf_hook_state *state;
	struct sk_buff *skb;
};

struct bpf_dynptr {
	__u64 __opaque[2];
} __attribute__((aligned(8)));

/* Kernel functions for reading packet bytes from a netfilter program, which
 * has no direct packet access. */
extern int bpf_dynptr_from_skb(struct __sk_buff *skb, __u64 flags, struct bpf_dynptr *ptr__uninit) __ksym;
extern void *bpf_dynptr_slice(const struct bpf_dynptr *ptr, __u32 offset, void *buffer__opt,
			      __u32 buffer__szk) __ksym;

/* Netfilter verdicts. */
enum {
	NF_DROP = 0,
	NF_ACCEPT = 1,
};

#endif
