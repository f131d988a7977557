/* Kernel ABI the programs rely on, declared here rather than taken from
 * <linux/bpf.h> so that compiling needs no architecture-specific kernel
 * headers: the BPF target is the same on every host. */
#ifndef NETPOLCHECK_TYPES_H
#define NETPOLCHECK_TYPES_H

typedef unsigned char __u8;
typedef unsigned short __u16;
typedef unsigned int __u32;
typedef unsigned long long __u64;
typedef signed char __s8;
typedef short __s16;
typedef int __s32;
typedef long long __s64;
typedef __u16 __be16;
typedef __u32 __be32;
typedef __u32 __wsum;

/* The leading fields of the UAPI struct __sk_buff. Netfilter programs only
 * point to it, handing their sk_buff to kernel functions that take this
 * type, but a forward declaration fails the loader's check of the kernel
 * functions' types: it wants a struct. */
struct __sk_buff {
	__u32 len;
	__u32 pkt_type;
	__u32 mark;
};

enum {
	BPF_MAP_TYPE_HASH = 1,
	BPF_MAP_TYPE_ARRAY = 2,
	BPF_MAP_TYPE_PERCPU_ARRAY = 6,
	BPF_MAP_TYPE_LRU_HASH = 9,
	BPF_MAP_TYPE_LPM_TRIE = 11,
	BPF_MAP_TYPE_RINGBUF = 27,
};

enum {
	BPF_F_NO_PREALLOC = 1,
	BPF_F_NO_COMMON_LRU = 2,
};

#endif
