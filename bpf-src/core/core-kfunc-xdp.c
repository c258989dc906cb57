/* core-kfunc-xdp: an XDP program that reads the packet through a dynptr.
 *
 *   ip link set dev eth0 xdpgeneric obj core-kfunc-xdp.o sec xdp
 *
 * The XDP side of core-kfunc-skb.c: bpf_dynptr_from_xdp() and
 * bpf_dynptr_slice() are kfuncs, called through the BTF ids the loader finds
 * in the kernel's BTF. Lets everything through and counts ARP frames. */
#include "core-common.h"

extern int bpf_dynptr_from_xdp(struct xdp_md *x, __u64 flags,
			       struct bpf_dynptr *ptr__uninit) __ksym;
extern void *bpf_dynptr_slice(const struct bpf_dynptr *p, __u32 offset,
			      void *buffer__opt, __u32 buffer__szk) __ksym;

/* ARP frames seen (map "core_kfu.bss"). */
__u64 arp_frames;

SEC("xdp")
int kfunc_count_arp(struct xdp_md *ctx)
{
	struct bpf_dynptr packet;
	struct ethhdr buffer, *eth;

	if (bpf_dynptr_from_xdp(ctx, 0, &packet))
		return XDP_PASS;
	eth = bpf_dynptr_slice(&packet, 0, &buffer, sizeof(buffer));
	if (eth && eth->h_proto == bpf_htons(ETH_P_ARP))
		__sync_fetch_and_add(&arp_frames, 1);
	return XDP_PASS;
}

char _license[] SEC("license") = "GPL";
