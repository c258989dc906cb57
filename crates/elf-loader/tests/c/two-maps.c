/* Two legacy maps; "ingress" uses both, "egress" holds two functions. */
#include "legacy.h"

struct bpf_map_def SEC("maps") counters = {
	.type = BPF_MAP_TYPE_ARRAY,
	.key_size = sizeof(__u32),
	.value_size = sizeof(__u64),
	.max_entries = 4,
};

struct bpf_map_def SEC("maps") verdicts = {
	.type = BPF_MAP_TYPE_HASH,
	.key_size = sizeof(__u32),
	.value_size = sizeof(__u32),
	.max_entries = 16,
	.map_flags = BPF_F_NO_PREALLOC,
};

SEC("ingress")
int count_and_judge(struct __sk_buff *skb)
{
	__u32 key = 0;
	__u64 *count = bpf_map_lookup_elem(&counters, &key);
	__u32 *verdict;

	if (count)
		__sync_fetch_and_add(count, 1);
	key = skb->protocol;
	verdict = bpf_map_lookup_elem(&verdicts, &key);
	return verdict ? *verdict : TC_ACT_OK;
}

SEC("egress")
int first(struct __sk_buff *skb)
{
	return skb->len > 1000 ? TC_ACT_SHOT : TC_ACT_OK;
}

SEC("egress")
int second(struct __sk_buff *skb)
{
	__u32 key = 1;
	__u64 *count = bpf_map_lookup_elem(&counters, &key);

	if (count)
		__sync_fetch_and_add(count, skb->len);
	return TC_ACT_OK;
}

char _license[] SEC("license") = "GPL";
