/* tail-call: the program in "ingress" never drops anything itself; it jumps
 * (bpf_tail_call) to whatever program sits at key 0 of the program array
 * rtc_jumps, and lets the packet through if there is none.
 *
 *   tc filter add dev eth0 ingress bpf da obj tail-call.o sec ingress
 *
 * The loader fills the array the iproute2 way: every section named "ID/KEY"
 * is loaded and stored at KEY in the program array whose id is ID. Section
 * "1/0" drops IPv4 ICMP, so pings die only through the tail call; empty the
 * slot (bpftool map delete pinned .../rtc_jumps key 0 0 0 0) and they pass.
 *
 * The array is pinned: the kernel empties a program array once no process
 * and no pin holds it, which would undo the tail calls when the loader exits. */
#include "common.h"
#include "iproute2.h"

struct bpf_elf_map SEC("maps") rtc_jumps = {
	.type = BPF_MAP_TYPE_PROG_ARRAY,
	.size_key = sizeof(__u32),
	.size_value = sizeof(__u32),
	.max_elem = 2,
	.id = 1,
	.pinning = PIN_GLOBAL_NS,
};

SEC("1/0")
int drop_icmp(struct __sk_buff *skb)
{
	struct iphdr *ip = ipv4_header(skb);

	if (ip && ip->protocol == IPPROTO_ICMP)
		return TC_ACT_SHOT;
	return TC_ACT_OK;
}

SEC("ingress")
int jump(struct __sk_buff *skb)
{
	bpf_tail_call(skb, &rtc_jumps, 0);
	/* Only reached when slot 0 is empty. */
	return TC_ACT_OK;
}

char _license[] SEC("license") = "GPL";
