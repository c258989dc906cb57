/* tcx-count-icmp: counts IPv4 ICMP packets and hands every packet on to the
 * next program of the tcx chain (TCX_NEXT), deciding nothing itself.
 *
 *   rtc net attach tcx_ingress obj tcx-count-icmp.o dev eth0 first
 *   bpftool map dump name icmp_seen
 *
 * In a tcx chain each program returns a verdict (TCX_PASS 0, TCX_DROP 2,
 * TCX_REDIRECT 7) that ends the chain, or TCX_NEXT (-1) to let the next
 * program decide. So this counter sees a packet only if it runs before any
 * program that drops it: put it first and it counts the pings a dropper
 * behind it discards; put it last and it counts none of them. */
#include "common.h"

/* TCX_NEXT from linux/bpf.h (6.6+); defined here for older uapi headers. */
#ifndef TCX_NEXT
#define TCX_NEXT -1
#endif

struct bpf_map_def {
	__u32 type;
	__u32 key_size;
	__u32 value_size;
	__u32 max_entries;
	__u32 map_flags;
};

/* Key 0: ICMP packets seen. */
struct bpf_map_def SEC("maps") icmp_seen = {
	.type = BPF_MAP_TYPE_ARRAY,
	.key_size = sizeof(__u32),
	.value_size = sizeof(__u64),
	.max_entries = 1,
	.map_flags = 0,
};

SEC("tcx/ingress")
int count_icmp(struct __sk_buff *skb)
{
	struct iphdr *ip = ipv4_header(skb);
	__u32 key = 0;
	__u64 *value;

	if (ip && ip->protocol == IPPROTO_ICMP) {
		value = bpf_map_lookup_elem(&icmp_seen, &key);
		if (value)
			__sync_fetch_and_add(value, 1);
	}
	return TCX_NEXT;
}

char _license[] SEC("license") = "GPL";
