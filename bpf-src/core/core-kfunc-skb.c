/* core-kfunc-skb: drop-arp again, this time reading the packet through a
 * dynptr that a kfunc creates.
 *
 *   tc filter add dev eth0 ingress bpf da obj core-kfunc-skb.o sec tc
 *
 * A kfunc is a kernel function exported to BPF programs through BTF rather
 * than a helper number. The program declares it `extern ... __ksym` with the
 * kernel's prototype; clang emits a call whose target is the extern, and the
 * loader finds the function's BTF id in the kernel's BTF (a BTF FUNC tagged
 * bpf_kfunc) and writes it into the call: src_reg BPF_PSEUDO_KFUNC_CALL,
 * imm the id, off 0 for vmlinux (or the index in fd_array of the module's BTF).
 *
 * bpf_dynptr_from_skb() wraps the packet in a struct bpf_dynptr;
 * bpf_dynptr_slice() returns a pointer to the first bytes, bounds-checked by
 * the kfunc itself (copying into `buffer` when the bytes are not linear). */
#include "core-common.h"

/* Prototypes as in the kernel's BTF (`bpftool btf dump file
 * /sys/kernel/btf/vmlinux | grep -A4 "FUNC 'bpf_dynptr_from_skb'"`). */
extern int bpf_dynptr_from_skb(struct __sk_buff *skb, __u64 flags,
			       struct bpf_dynptr *ptr__uninit) __ksym;
extern void *bpf_dynptr_slice(const struct bpf_dynptr *p, __u32 offset,
			      void *buffer__opt, __u32 buffer__szk) __ksym;

SEC("tc")
int kfunc_drop_arp(struct __sk_buff *skb)
{
	struct bpf_dynptr packet;
	struct ethhdr buffer, *eth;

	if (bpf_dynptr_from_skb(skb, 0, &packet))
		return TC_ACT_OK;
	eth = bpf_dynptr_slice(&packet, 0, &buffer, sizeof(buffer));
	if (!eth)
		return TC_ACT_OK; /* shorter than an Ethernet header */
	if (eth->h_proto == bpf_htons(ETH_P_ARP))
		return TC_ACT_SHOT;
	return TC_ACT_OK;
}

char _license[] SEC("license") = "GPL";
