/* An iproute2 tail-call section whose key (5) does not fit the program array (2). */
#include "legacy.h"

struct bpf_elf_map SEC("maps") jumps = {
	.type = BPF_MAP_TYPE_PROG_ARRAY,
	.size_key = sizeof(__u32),
	.size_value = sizeof(__u32),
	.max_elem = 2,
	.id = 1,
};

SEC("1/5")
int too_far(struct __sk_buff *skb)
{
	return TC_ACT_SHOT;
}

SEC("ingress")
int jump(struct __sk_buff *skb)
{
	bpf_tail_call(skb, &jumps, 0);
	return TC_ACT_OK;
}

char _license[] SEC("license") = "GPL";
